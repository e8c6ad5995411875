"""Importing sanctions lists: every import is a new, immutable version of its source.

Invariants:

- A version and all its entries are written in one transaction, or nothing is (a file
  that does not parse stores nothing).
- Importing what the latest version of that source already holds (same sha256 over the
  same files) creates nothing and says so.
- Each version records what changed since the previous version of its source (list ids
  added and removed), counts by entity type, and where it came from.
- After the commit, a rescan of every customer against the new lists is queued.
"""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction

from audit.services import audit_event_record
from blockscore.queue import enqueue
from compliance.models import WatchlistEntry, WatchlistVersion
from compliance.models.watchlists import WatchlistSource
from compliance.watchlists import ENTITY_TYPES, ParsedEntry, WatchlistFormatError, ofac, un

logger = logging.getLogger(__name__)

OFAC_FILES = ("sdn", "alt", "add")
SOURCES = tuple(WatchlistSource.values)


@dataclass
class ImportOutcome:
    version: WatchlistVersion
    created: bool  # False: the latest version already had this checksum


def checksum(files: dict[str, bytes]) -> str:
    """sha256 over the files in a fixed order, each prefixed by its role and length."""
    digest = hashlib.sha256()
    for role in sorted(files):
        data = files[role]
        digest.update(f"{role}:{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def parse_files(source: str, files: dict[str, bytes]) -> tuple[list[ParsedEntry], object]:
    """(entries, published_at) of a source's files; WatchlistFormatError if they are not it."""
    if source == WatchlistSource.OFAC:
        return ofac.parse(files["sdn"], files.get("alt"), files.get("add")), None
    if source == WatchlistSource.UN:
        root = un.parse_root(files["xml"])
        return un.parse(files["xml"]), un.published_at(root)
    raise WatchlistFormatError(f"Unknown watchlist source {source!r}; known: {', '.join(SOURCES)}.")


# --- reading files and URLs -------------------------------------------------------------


def _read(path: Path) -> bytes:
    limit = settings.WATCHLIST_MAX_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise WatchlistFormatError(f"{path}: {size} bytes, more than WATCHLIST_MAX_BYTES ({limit}).")
        return path.read_bytes()
    except OSError as exc:
        raise WatchlistFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def _ofac_sibling(name: str, role: str) -> str:
    lower = name.lower()
    index = lower.rfind("sdn")
    if index < 0:
        raise WatchlistFormatError(f"{name}: expected OFAC's sdn.csv (or a folder holding sdn.csv, alt.csv, add.csv).")
    written = name[index : index + 3]
    role = role.upper() if written.isupper() else role  # SDN.CSV → ALT.CSV
    return name[:index] + role + name[index + 3 :]


def files_from_path(source: str, path: str) -> dict[str, bytes]:
    """OFAC: a folder with sdn.csv/alt.csv/add.csv (or ofac_sdn.csv...), or sdn.csv with
    the other two beside it. UN: the consolidated XML file."""
    target = Path(path)
    if source == WatchlistSource.UN:
        if target.is_dir():
            found = sorted(target.glob("*.xml"))
            if len(found) != 1:
                raise WatchlistFormatError(f"{target}: expected exactly one .xml file, found {len(found)}.")
            target = found[0]
        return {"xml": _read(target)}
    if source != WatchlistSource.OFAC:
        raise WatchlistFormatError(f"Unknown watchlist source {source!r}; known: {', '.join(SOURCES)}.")
    if target.is_dir():
        names = {p.name.lower(): p for p in target.iterdir() if p.is_file()}
        files = {}
        for role in OFAC_FILES:
            match = names.get(f"{role}.csv") or names.get(f"ofac_{role}.csv")
            if match is None:
                raise WatchlistFormatError(f"{target}: no {role}.csv (or ofac_{role}.csv) in the folder.")
            files[role] = _read(match)
        return files
    files = {"sdn": _read(target)}
    for role in ("alt", "add"):
        sibling = target.with_name(_ofac_sibling(target.name, role))
        if not sibling.is_file():
            raise WatchlistFormatError(f"{sibling} is missing: OFAC needs sdn.csv, alt.csv and add.csv together.")
        files[role] = _read(sibling)
    return files


def fetch(url: str) -> bytes:
    """GET a list over HTTP(S) with timeouts and a size cap (WATCHLIST_MAX_BYTES)."""
    import requests

    if urlsplit(url).scheme not in ("https", "http"):
        raise WatchlistFormatError(f"{url}: only http(s) URLs can be fetched.")
    limit = settings.WATCHLIST_MAX_BYTES
    try:
        with requests.get(url, stream=True, timeout=(10, settings.WATCHLIST_FETCH_TIMEOUT)) as response:
            response.raise_for_status()
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise WatchlistFormatError(f"{url}: {declared} bytes, more than WATCHLIST_MAX_BYTES ({limit}).")
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                if size > limit:
                    raise WatchlistFormatError(f"{url}: more than WATCHLIST_MAX_BYTES ({limit}) bytes.")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise WatchlistFormatError(f"Cannot download {url}: {exc}.") from exc


def files_from_url(source: str, url: str) -> dict[str, bytes]:
    """OFAC: the sdn.csv URL (alt.csv and add.csv are fetched beside it) or a folder URL
    ending in "/". UN: the consolidated XML URL."""
    if source == WatchlistSource.UN:
        return {"xml": fetch(url)}
    if source != WatchlistSource.OFAC:
        raise WatchlistFormatError(f"Unknown watchlist source {source!r}; known: {', '.join(SOURCES)}.")
    parts = urlsplit(url)
    folder, _, name = parts.path.rpartition("/")
    if not name:
        name = "sdn.csv"
    files = {}
    for role in OFAC_FILES:
        file_name = name if role == "sdn" else _ofac_sibling(name, role)
        files[role] = fetch(urlunsplit(parts._replace(path=f"{folder}/{file_name}")))
    return files


# --- the import ------------------------------------------------------------------------


def watchlist_import(*, source: str, files: dict[str, bytes], origin: str, actor=None) -> ImportOutcome:
    """Parse ``files`` of ``source`` and store them as a new version (see the module doc)."""
    if source not in SOURCES:
        raise WatchlistFormatError(f"Unknown watchlist source {source!r}; known: {', '.join(SOURCES)}.")
    digest = checksum(files)
    latest = WatchlistVersion.objects.filter(source=source).order_by("-imported_at", "-id").first()
    if latest is not None and latest.checksum == digest:
        return ImportOutcome(version=latest, created=False)
    entries, published = parse_files(source, files)
    previous_ids = set(latest.entries.values_list("list_id", flat=True)) if latest else set()
    current_ids = {entry.list_id for entry in entries}
    counts = {kind: 0 for kind in ENTITY_TYPES}
    for entry in entries:
        counts[entry.entity_type] += 1
    counts["entries"] = len(entries)
    counts["aliases"] = sum(len(entry.aliases) for entry in entries)
    with transaction.atomic():
        # Two imports of one source at once: the second waits, then sees the first.
        latest_now = (
            WatchlistVersion.objects.select_for_update().filter(source=source).order_by("-imported_at", "-id").first()
        )
        if latest_now is not None and latest_now.pk != getattr(latest, "pk", None):
            if latest_now.checksum == digest:
                return ImportOutcome(version=latest_now, created=False)
            previous_ids = set(latest_now.entries.values_list("list_id", flat=True))
        version = WatchlistVersion.objects.create(
            source=source,
            imported_by=actor,
            origin=origin[:500],
            published_at=published,
            checksum=digest,
            counts=counts,
            added=sorted(current_ids - previous_ids, key=_id_order),
            removed=sorted(previous_ids - current_ids, key=_id_order),
        )
        WatchlistEntry.objects.bulk_create(
            (WatchlistEntry(version=version, **_entry_fields(entry)) for entry in entries), batch_size=2000
        )
        audit_event_record(
            action="watchlist.imported",
            actor=actor,
            target=version,
            metadata={
                "source": source,
                "origin": origin[:500],
                "checksum": digest,
                "counts": counts,
                "added": len(version.added),
                "removed": len(version.removed),
                "previous_version": latest_now.pk if latest_now else None,
            },
        )
        enqueue("compliance.rescan", trigger="list_update")
    logger.info("watchlist imported", extra={"source": source, "version": version.pk, "entries": len(entries)})
    return ImportOutcome(version=version, created=True)


def _id_order(list_id: str):
    return (0, int(list_id), "") if list_id.isdigit() else (1, 0, list_id)


def _entry_fields(entry: ParsedEntry) -> dict:
    fields = entry.as_dict()
    fields["name"] = fields["name"][:500]
    return fields


def current_versions() -> dict[str, WatchlistVersion]:
    """The latest version of each source that has been imported."""
    found = {}
    for source in SOURCES:
        version = WatchlistVersion.objects.filter(source=source).order_by("-imported_at", "-id").first()
        if version is not None:
            found[source] = version
    return found
