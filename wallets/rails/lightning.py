"""The Lightning rail: a thin client for one LNbits wallet, and webhook authentication.

BlockScore holds one LNbits wallet (the "platform" wallet). Deposits are invoices created
on it; withdrawals are payments made from it. This module only talks to LNbits' HTTP API
(tested against LNbits 1.6, ``requirements-lnbits.txt``); the wallet services decide
what an answer means for the books.

Amounts are integers: satoshis where a person chose the amount (``create_invoice``),
millisatoshis where LNbits reports one (BOLT11 amounts, fees). No floats.

Errors, all ``DomainError`` subclasses so the API can answer with problem details:

- ``LightningDisabled``: the rail is not configured (a setting is empty).
- ``LightningUnavailable``: LNbits did not answer, answered 5xx or 429, or answered
  something unreadable. Nothing is known about the outcome of the request.
- ``LightningRejected``: LNbits refused the request (4xx, or its 520 "payment/invoice
  error" with status ``failed``), with LNbits' own message. The request had no effect.
  ``LightningNotFound`` is the rejection "no such invoice/payment in this wallet".

Rules for callers, from LNbits' behaviour:

- ``pay()`` is safe to call again for the same invoice: when this wallet has already paid
  it (or the payment is in flight) it returns that payment instead of an error.
- After ``LightningUnavailable`` from ``pay()`` the payment may or may not have been made.
  Never release held funds on it: ask ``payment_status()``. Even ``LightningNotFound``
  there is final only once longer than the client timeout has passed since the attempt
  (LNbits records the payment when the request reaches it).
- LNbits settles invoices of its own wallets internally, and then does not check their
  expiry: a withdrawal must check ``Decoded.expires_at`` itself before paying.
- LNbits' webhooks are not signed and their body is not to be trusted. BlockScore puts
  ``webhook_token(reference, secret)`` into the webhook URL it gives LNbits, where
  ``reference`` is its own id of the deposit (chosen before the invoice exists: the
  payment hash is only known once LNbits has made the invoice, too late to be in the
  URL). The handler checks the token with ``verify_webhook_token`` (constant time), loads
  the deposit by its reference and asks ``invoice_status()`` about the deposit's stored
  payment hash instead of reading the body. A valid token only proves that BlockScore
  made the URL; the status call proves the payment.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import requests

from blockscore.exceptions import DomainError

DEFAULT_TIMEOUT = 10.0  # LNbits waits up to 5 s for a payment before answering "pending"
BOLT11_DEFAULT_EXPIRY = 3600  # seconds, when an invoice carries no expiry (BOLT 11)
MAX_MEMO_LENGTH = 640  # LNbits refuses longer memos
_PAYMENT_HASH = re.compile(r"[0-9a-f]{64}")
_WEBHOOK_TOKEN_CONTEXT = b"blockscore/lightning-webhook/v1:"
MAX_WEBHOOK_REFERENCE = 200


class LightningError(DomainError):
    code = "lightning_error"
    status_code = 502
    default_detail = "The Lightning rail failed."

    def __init__(self, detail: str | None = None, *, lnbits_status: int | None = None, **kwargs):
        super().__init__(detail, **kwargs)
        self.lnbits_status = lnbits_status  # LNbits' HTTP status, when it answered


class LightningDisabled(LightningError):
    code = "lightning_disabled"
    status_code = 503
    default_detail = "The Lightning rail is not configured."


class LightningUnavailable(LightningError):
    code = "lightning_unavailable"
    status_code = 503
    default_detail = "The Lightning node is not reachable. Try again later."


class LightningRejected(LightningError):
    code = "lightning_rejected"
    status_code = 422
    default_detail = "The Lightning node refused the request."


class LightningNotFound(LightningRejected):
    code = "lightning_not_found"
    status_code = 404
    default_detail = "No such invoice or payment in the platform's Lightning wallet."


class PaymentState(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class Invoice:
    payment_hash: str
    bolt11: str
    amount_sat: int
    expires_at: datetime


@dataclass(frozen=True)
class InvoiceStatus:
    payment_hash: str
    paid: bool
    state: PaymentState
    amount_msat: int
    preimage: str | None  # only once paid


@dataclass(frozen=True)
class Decoded:
    payment_hash: str
    amount_msat: int | None  # None: an invoice without an amount
    description: str | None
    description_hash: str | None
    created_at: datetime
    expiry: int  # seconds after created_at
    expires_at: datetime
    currency: str  # network prefix: "bc" mainnet, "tb" testnet, "bcrt" regtest
    payee: str | None

    def is_expired(self, at: datetime | None = None) -> bool:
        return (at or datetime.now(UTC)) >= self.expires_at


@dataclass(frozen=True)
class Payment:
    payment_hash: str
    state: PaymentState
    amount_msat: int  # what was sent, without the fee
    fee_msat: int | None  # known once the payment succeeded
    preimage: str | None  # proof of payment, once it succeeded

    @property
    def succeeded(self) -> bool:
        return self.state is PaymentState.SUCCESS

    @property
    def pending(self) -> bool:
        return self.state is PaymentState.PENDING

    @property
    def failed(self) -> bool:
        return self.state is PaymentState.FAILED


class LightningRail:
    """One LNbits wallet: the invoice key reads and invoices, the admin key pays."""

    def __init__(self, base_url: str, invoice_key: str, admin_key: str, timeout: float = DEFAULT_TIMEOUT):
        if not (base_url and invoice_key and admin_key):
            raise LightningDisabled()
        self.base_url = base_url.rstrip("/")
        self.invoice_key = invoice_key
        self.admin_key = admin_key
        self.timeout = float(timeout)
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> LightningRail:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:  # never the keys
        return f"LightningRail({self.base_url!r})"

    # --- receiving ---------------------------------------------------------------------

    def create_invoice(
        self, amount_sat: int, memo: str, expiry_seconds: int, webhook_url: str | None = None
    ) -> Invoice:
        """A BOLT11 invoice for ``amount_sat`` on this wallet; LNbits calls ``webhook_url``
        (POST) once it is paid."""
        if not _positive_int(amount_sat):
            raise ValueError(f"amount_sat must be a positive integer, not {amount_sat!r}")
        if not _positive_int(expiry_seconds):
            raise ValueError(f"expiry_seconds must be a positive integer, not {expiry_seconds!r}")
        if len(memo) > MAX_MEMO_LENGTH:
            raise ValueError(f"memo is longer than {MAX_MEMO_LENGTH} characters")
        body = {"out": False, "unit": "sat", "amount": amount_sat, "memo": memo, "expiry": expiry_seconds}
        if webhook_url:
            body["webhook"] = webhook_url
        created_at = datetime.now(UTC)
        data = self._call("POST", "/api/v1/payments", key=self.invoice_key, json=body)
        payment_hash = _field(data, "payment_hash", str)
        if data.get("amount") != amount_sat * 1000:  # never credit on a misread amount
            raise LightningUnavailable(f"LNbits made an invoice for {data.get('amount')} msat, not {amount_sat} sat")
        expires_at = _parse_time(data.get("expiry")) or created_at + timedelta(seconds=expiry_seconds)
        return Invoice(
            payment_hash=payment_hash,
            bolt11=_field(data, "bolt11", str),
            amount_sat=amount_sat,
            expires_at=expires_at,
        )

    def invoice_status(self, payment_hash: str) -> InvoiceStatus:
        """Whether this wallet's invoice is paid, as LNbits knows it now (never a webhook body).

        Raises ``LightningNotFound`` when the invoice is not one of this wallet's.
        """
        payment_hash = _checked_hash(payment_hash)
        record = self._own_record(payment_hash)
        if record["amount"] < 0:
            # This wallet also paid the invoice itself: LNbits answered with the outgoing
            # record (it sorts by amount). The incoming one has the hash as checking id.
            records = self._call("GET", "/api/v1/payments", key=self.invoice_key, params={"checking_id": payment_hash})
            if not isinstance(records, list):
                raise LightningUnavailable("LNbits answered the payment list with something not a list.")
            incoming = [
                r
                for r in records
                if isinstance(r, dict) and r.get("payment_hash") == payment_hash and _is_incoming(r.get("amount"))
            ]
            if not incoming:
                raise LightningNotFound(f"No invoice {payment_hash} in this wallet.")
            record = incoming[0]
        state = _state(record)
        return InvoiceStatus(
            payment_hash=payment_hash,
            paid=state is PaymentState.SUCCESS,
            state=state,
            amount_msat=int(record["amount"]),
            preimage=record.get("preimage") if state is PaymentState.SUCCESS else None,
        )

    # --- paying ------------------------------------------------------------------------

    def decode(self, bolt11: str) -> Decoded:
        """What a BOLT11 invoice asks for. Raises ``LightningRejected`` for anything else."""
        bolt11 = clean_bolt11(bolt11)
        data = self._call("POST", "/api/v1/payments/decode", key=None, json={"data": bolt11})
        if "payment_hash" not in data:  # LNbits also decodes LNURLs: {"domain": ...}
            raise LightningRejected("Not a BOLT11 invoice.", lnbits_status=200)
        created_at = datetime.fromtimestamp(_field(data, "date", int), UTC)
        expiry = data.get("expiry") or BOLT11_DEFAULT_EXPIRY
        amount_msat = data.get("amount_msat")
        return Decoded(
            payment_hash=_field(data, "payment_hash", str),
            amount_msat=int(amount_msat) if amount_msat else None,
            description=data.get("description"),
            description_hash=data.get("description_hash"),
            created_at=created_at,
            expiry=int(expiry),
            expires_at=created_at + timedelta(seconds=int(expiry)),
            currency=str(data.get("currency", "")),
            payee=data.get("payee"),
        )

    def pay(self, bolt11: str) -> Payment:
        """Pay a BOLT11 invoice from this wallet. The answer may be ``pending``: then ask
        ``payment_status()`` until it is ``success`` or ``failed``.

        Raises ``LightningRejected`` when LNbits refused (nothing was paid: insufficient
        balance, an invoice already paid by someone else, an unreadable invoice, ...).
        """
        bolt11 = clean_bolt11(bolt11)
        try:
            data = self._call("POST", "/api/v1/payments", key=self.admin_key, json={"out": True, "bolt11": bolt11})
        except (LightningRejected, LightningUnavailable) as exc:
            if exc.lnbits_status is None:
                raise  # no answer at all: nothing to look up that would be conclusive yet
            earlier = self._earlier_payment(bolt11)
            if earlier is not None:
                return earlier
            raise
        return _payment(data)

    def payment_status(self, payment_hash: str) -> Payment:
        """This wallet's payment of ``payment_hash``, as LNbits knows it now.

        Raises ``LightningNotFound`` when this wallet has no payment with that hash.
        """
        payment_hash = _checked_hash(payment_hash)
        record = self._own_record(payment_hash)
        if record["amount"] >= 0:  # outgoing records sort first: there is none
            raise LightningNotFound(f"This wallet has no payment {payment_hash}.")
        return _payment(record)

    def balance_msat(self) -> int:
        return int(_field(self._call("GET", "/api/v1/wallet", key=self.invoice_key), "balance", int))

    # --- plumbing ----------------------------------------------------------------------

    def _earlier_payment(self, bolt11: str) -> Payment | None:
        """This wallet's existing, not failed, payment of the invoice, if any."""
        try:
            payment = self.payment_status(self.decode(bolt11).payment_hash)
        except LightningError:
            return None
        return None if payment.failed else payment

    def _own_record(self, payment_hash: str) -> dict:
        data = self._call("GET", f"/api/v1/payments/{payment_hash}", key=self.invoice_key, not_found=True)
        # LNbits answers any caller about any payment it holds, and adds "details" only
        # when the key's wallet owns it: no details means not ours (or a wrong key).
        record = data.get("details")
        if not isinstance(record, dict) or record.get("payment_hash") != payment_hash:
            raise LightningNotFound(f"No invoice or payment {payment_hash} in this wallet.")
        _field(record, "amount", int)
        return record

    def _call(self, method: str, path: str, *, key: str | None, json=None, params=None, not_found: bool = False):
        url = self.base_url + path
        try:
            response = self._session.request(
                method,
                url,
                headers={"X-Api-Key": key} if key else {},
                json=json,
                params=params,
                timeout=(min(5.0, self.timeout), self.timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise LightningUnavailable(f"LNbits did not answer within {self.timeout:g} s ({method} {path}).")
        except requests.RequestException as exc:
            raise LightningUnavailable(f"Cannot reach LNbits at {self.base_url}: {type(exc).__name__}.")
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if 200 <= status < 300:
            if data is None:
                raise LightningUnavailable(f"LNbits answered {method} {path} with something not JSON.")
            return data
        message = _message(data, response.text)
        if status == 404 and not_found:
            raise LightningNotFound(message, lnbits_status=status)
        if status == 520:  # LNbits' PaymentError/InvoiceError, with the state it left things in
            state = data.get("status") if isinstance(data, dict) else None
            if state == PaymentState.FAILED:
                raise LightningRejected(message, lnbits_status=status)
            raise LightningUnavailable(f"{message} (state: {state})", lnbits_status=status)
        if 400 <= status < 500 and status != 429:
            raise LightningRejected(message, lnbits_status=status)
        raise LightningUnavailable(f"LNbits answered HTTP {status}: {message}", lnbits_status=status)


def rail_from_settings() -> LightningRail:
    """The rail configured by the LIGHTNING_LNBITS_* settings; ``LightningDisabled`` when
    any of them is empty (the default on a fresh machine)."""
    from django.conf import settings

    names = ("LIGHTNING_LNBITS_URL", "LIGHTNING_LNBITS_INVOICE_KEY", "LIGHTNING_LNBITS_ADMIN_KEY")
    values = {name: getattr(settings, name, "") or "" for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise LightningDisabled(f"The Lightning rail is not configured: set {', '.join(missing)}.")
    timeout = getattr(settings, "LIGHTNING_LNBITS_TIMEOUT", None) or DEFAULT_TIMEOUT
    return LightningRail(*values.values(), timeout=float(timeout))


# --- webhook authentication ------------------------------------------------------------


def webhook_token(reference: str, secret: str | bytes) -> str:
    """The token BlockScore puts into the webhook URL of the deposit ``reference``."""
    if not secret:
        raise ValueError("webhook secret is empty")
    if not isinstance(reference, str) or not reference or len(reference) > MAX_WEBHOOK_REFERENCE:
        raise ValueError(f"webhook reference must be a non-empty string of at most {MAX_WEBHOOK_REFERENCE} characters")
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, _WEBHOOK_TOKEN_CONTEXT + reference.encode(), hashlib.sha256).hexdigest()


def verify_webhook_token(reference: str, token: str, secret: str | bytes) -> bool:
    """Whether ``token`` is the webhook token of ``reference`` (constant-time compare).

    True only says that BlockScore made the URL: still ask ``invoice_status()``."""
    if not isinstance(token, str) or not token.isascii():
        return False
    try:
        expected = webhook_token(reference, secret)
    except ValueError:
        return False
    return hmac.compare_digest(expected.encode(), token.encode())


def webhook_secret_from_settings() -> bytes:
    """LIGHTNING_WEBHOOK_SECRET, or else a key derived from SECRET_KEY for this purpose only."""
    from django.conf import settings

    secret = getattr(settings, "LIGHTNING_WEBHOOK_SECRET", "") or ""
    if secret:
        return secret.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"blockscore/lightning-webhook-secret", hashlib.sha256).digest()


# --- helpers ---------------------------------------------------------------------------


def _is_incoming(amount) -> bool:
    return isinstance(amount, int) and amount > 0


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _checked_hash(payment_hash: str) -> str:
    normalised = payment_hash.strip().lower() if isinstance(payment_hash, str) else ""
    if not _PAYMENT_HASH.fullmatch(normalised):
        raise ValueError(f"not a payment hash (64 hex digits): {payment_hash!r}")
    return normalised


def clean_bolt11(bolt11: str) -> str:
    """The invoice without whitespace or a ``lightning:`` URI prefix (any case)."""
    if not isinstance(bolt11, str):
        raise LightningRejected("Not a BOLT11 invoice.")
    cleaned = bolt11.strip()
    if cleaned.lower().startswith("lightning:"):  # a payment URI as a wallet app copies it
        cleaned = cleaned[len("lightning:") :]
    if not cleaned:
        raise LightningRejected("Not a BOLT11 invoice.")
    return cleaned


def _field(data, name: str, kind: type):
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LightningUnavailable(f"LNbits' answer has no valid {name!r}.")
    return value


def _state(record: dict) -> PaymentState:
    try:
        return PaymentState(record.get("status"))
    except ValueError:
        raise LightningUnavailable(f"LNbits reported an unknown payment status {record.get('status')!r}.")


def _payment(record: dict) -> Payment:
    state = _state(record)
    succeeded = state is PaymentState.SUCCESS
    return Payment(
        payment_hash=_field(record, "payment_hash", str),
        state=state,
        amount_msat=abs(_field(record, "amount", int)),
        # While pending, LNbits' fee is the reserve it holds, not what was paid.
        fee_msat=abs(int(record.get("fee") or 0)) if succeeded else None,
        preimage=record.get("preimage") if succeeded else None,
    )


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # LNbits stores UTC


def _message(data, text: str) -> str:
    if isinstance(data, dict):
        detail = data.get("detail") or data.get("message")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list):  # FastAPI validation errors
            return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    return (text or "").strip()[:300] or "no message"
