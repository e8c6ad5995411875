"""KYC document files: checked by content, capped in size, stored encrypted under
generated names, read back only by the console's authorised view.

Only JPEG, PNG and PDF are accepted, recognised by their first bytes (the uploaded name
and the client's content type are ignored). A file is encrypted with the newest
KYC_ENCRYPTION_KEYS key (compliance.crypto) and written to KYC_STORAGE_DIR as
``<random hex>.enc``; the database keeps that name, the detected type, the size and the
sha256 of the plain content.
"""

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from blockscore.exceptions import DomainError, ValidationFailed
from compliance import crypto

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_NAME_CHARS = set("0123456789abcdef")


class FileTooLarge(DomainError):
    code = "file_too_large"
    status_code = 413
    default_detail = "The file is too large."


class UnsupportedFile(ValidationFailed):
    code = "unsupported_file_type"
    default_detail = "Send a JPEG, PNG or PDF file."


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def storage_dir() -> Path:
    path = Path(settings.KYC_STORAGE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def sniff(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def read_upload(upload, *, field: str) -> tuple[bytes, str]:
    """The upload's bytes and detected type, or a 413/400 naming the field."""
    limit = settings.KYC_MAX_FILE_BYTES
    if upload.size is not None and upload.size > limit:
        raise FileTooLarge(f"'{field}' is larger than {limit // 1024} KiB.", extra={"field": field, "limit": limit})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"'{field}' is larger than {limit // 1024} KiB.", extra={"field": field, "limit": limit})
    content_type = sniff(data[:8])
    if content_type is None or len(data) < 16:
        raise UnsupportedFile(f"'{field}' is not a JPEG, PNG or PDF file.", extra={"field": field})
    return data, content_type


def store(data: bytes, content_type: str) -> StoredFile:
    """Encrypt and write; the name is random and says nothing about the file."""
    name = f"{secrets.token_hex(20)}.enc"
    path = storage_dir() / name
    token = crypto.encrypt(data)
    with open(path, "xb") as handle:  # never overwrite
        handle.write(token)
    os.chmod(path, 0o600)
    return StoredFile(
        stored_name=name, content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def _path(stored_name: str) -> Path:
    stem, dot, suffix = stored_name.partition(".")
    if suffix != "enc" or not dot or not stem or set(stem) - _NAME_CHARS:  # our own names only: no path tricks
        raise ValueError(f"not a stored KYC file name: {stored_name!r}")
    return storage_dir() / stored_name


def load(stored_name: str) -> bytes:
    return crypto.decrypt(_path(stored_name).read_bytes())


def reencrypt(stored_name: str) -> bool:
    """Rewrite the file with the newest key; True when its bytes changed."""
    path = _path(stored_name)
    token = path.read_bytes()
    fresh = crypto.rotate(token)
    if fresh == token:
        return False
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(fresh)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return True


def remove(stored_name: str) -> None:
    _path(stored_name).unlink(missing_ok=True)
