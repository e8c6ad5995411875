"""Payment requests: create, view, pay, cancel; each logged as a QR log row.

Invariants kept here:

* A request is paid at most once. ``payment_request_pay`` locks the request row, then
  the two wallets in ascending id order (the one order every ledger writer uses), checks
  the request is still open and unexpired, and posts one ``payment`` journal entry
  payer → requester with the same limits and pre-transfer checks as a transfer; the
  status change, the entry, the QR log row and the audit event commit together or not
  at all.
* A payer never pays their own request, never in another currency (their own wallet in
  the request's currency pays), and names the amount only when the request has none.
"""

import base64
import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money, request_context
from blockscore.exceptions import Conflict, DomainError, NotFound, ValidationFailed
from wallets import checks, exceptions
from wallets.models import JournalEntry, LedgerAccount, PaymentRequest, Posting, QrLog
from wallets.services.accounts import wallet_open
from wallets.services.ledger import Line, accounts_lock, entry_post
from wallets.services.transfers import _display, _limits_minor

DEFAULT_EXPIRY = timedelta(days=1)
MAX_EXPIRY = timedelta(days=30)


class PaymentRequestNotFound(NotFound):
    code = "payment_request_not_found"
    default_detail = "No such payment request."


class PaymentRequestPaid(Conflict):
    code = "payment_request_paid"
    default_detail = "This payment request has already been paid."


class PaymentRequestCancelled(Conflict):
    code = "payment_request_cancelled"
    default_detail = "This payment request was cancelled."


class PaymentRequestExpired(DomainError):
    code = "payment_request_expired"
    status_code = 422
    default_detail = "This payment request has expired."


class PaymentRequestOwn(ValidationFailed):
    code = "payment_request_own"
    default_detail = "You cannot pay your own payment request."


class PaymentAmountInvalid(ValidationFailed):
    code = "validation_error"


# -- pure helpers --------------------------------------------------------------------


def payment_uri(payment_request: PaymentRequest) -> str:
    """``blockscore:pay/<id>?amount=…&currency=…``, or an https link under
    settings.PAYMENT_REQUEST_URL when that is set."""
    query = {}
    if payment_request.amount_minor is not None:
        query["amount"] = money.format_amount(payment_request.amount, payment_request.currency)
    query["currency"] = payment_request.currency
    base = getattr(settings, "PAYMENT_REQUEST_URL", "")
    prefix = f"{base.rstrip('/')}/" if base else "blockscore:pay/"
    return f"{prefix}{payment_request.public_id}?{urlencode(query)}"


def qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=4)


def qr_png_data_url(data: str) -> str:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=4)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


# -- services ------------------------------------------------------------------------


def _log(payment_request: PaymentRequest, user, action: str) -> QrLog:
    return QrLog.objects.create(request=payment_request, user=user, action=action, ip=request_context.current().ip)


@transaction.atomic
def payment_request_create(
    *, requester, currency: str, amount: Decimal | None = None, memo: str = "", expires_in: timedelta | None = None
) -> PaymentRequest:
    """Open a request into the requester's wallet in ``currency`` (opened if they have none)."""
    expires_in = DEFAULT_EXPIRY if expires_in is None else expires_in
    if not timedelta(seconds=1) <= expires_in <= MAX_EXPIRY:
        raise ValidationFailed("expires_in must be between 1 second and 30 days.", code="validation_error")
    units = None if amount is None else money.to_minor_units(money.exact(amount, currency), currency)
    wallet = wallet_open(owner=requester, currency=currency)
    payment_request = PaymentRequest.objects.create(
        requester=requester,
        wallet=wallet,
        currency=currency,
        amount_minor=units,
        memo=memo,
        expires_at=timezone.now() + expires_in,
    )
    _log(payment_request, requester, QrLog.Action.CREATED)
    audit_event_record(
        action="payment_request.created",
        actor=requester,
        target=payment_request,
        changes={"currency": {"after": currency}, "amount_minor": {"after": units}},
    )
    return payment_request


def _visible_request(*, public_id, user) -> PaymentRequest:
    payment_request = PaymentRequest.objects.select_related("requester", "paid_by").filter(public_id=public_id).first()
    if payment_request is None:
        raise PaymentRequestNotFound()
    involved = user.pk in (payment_request.requester_id, payment_request.paid_by_id)
    if payment_request.status != PaymentRequest.Status.OPEN and not involved:
        raise PaymentRequestNotFound()
    return payment_request


@transaction.atomic
def payment_request_view(*, public_id, viewer) -> PaymentRequest:
    """The request as ``viewer`` may see it (open ones: anyone; closed: the two parties); logged."""
    payment_request = _visible_request(public_id=public_id, user=viewer)
    _log(payment_request, viewer, QrLog.Action.VIEWED)
    return payment_request


def _paid_today_minor(wallet: LedgerAccount) -> int:
    start = timezone.make_aware(datetime.combine(timezone.now().date(), time.min), timezone.get_current_timezone())
    total = Posting.objects.filter(
        account=wallet,
        amount_minor__lt=0,
        posted_at__gte=start,
        entry__kind__in=[JournalEntry.Kind.TRANSFER, JournalEntry.Kind.PAYMENT],
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)


@transaction.atomic
def payment_request_pay(*, public_id, payer, amount: Decimal | None = None) -> PaymentRequest:
    """Pay an open request once from the payer's wallet in its currency (see the module docstring)."""
    payment_request = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("wallet")
        .filter(public_id=public_id)
        .first()
    )
    if payment_request is None:
        raise PaymentRequestNotFound()
    if payment_request.status == PaymentRequest.Status.PAID:
        raise PaymentRequestPaid()
    if payment_request.status == PaymentRequest.Status.CANCELLED:
        raise PaymentRequestCancelled()
    if payment_request.expires_at <= timezone.now():
        raise PaymentRequestExpired()
    if payment_request.requester_id == payer.pk:
        raise PaymentRequestOwn()
    currency = payment_request.currency
    if payment_request.amount_minor is not None:
        if amount is not None:
            raise PaymentAmountInvalid(
                "This request names its amount; do not send one.", extra={"errors": {"amount": ["Not allowed."]}}
            )
        amount = payment_request.amount
    elif amount is None:
        raise PaymentAmountInvalid(
            "This request leaves the amount to you: send one.", extra={"errors": {"amount": ["Required."]}}
        )
    amount = money.exact(amount, currency)
    source = LedgerAccount.objects.filter(
        owner=payer, kind=LedgerAccount.Kind.CUSTOMER_WALLET, currency=currency
    ).first()
    if source is None:
        raise exceptions.WalletNotFound()
    destination = payment_request.wallet
    per_transfer, per_day = _limits_minor(currency)
    units = money.to_minor_units(amount, currency)
    if units > per_transfer:
        raise exceptions.LimitExceeded(f"A single payment may be at most {_display(per_transfer, currency)}.")
    accounts_lock([source.pk, destination.pk])
    if _paid_today_minor(source) + units > per_day:
        raise exceptions.LimitExceeded(
            f"Payments from this wallet may total at most {_display(per_day, currency)} a day."
        )
    checks.run_pre_transfer_checks(
        checks.MovementIntent(
            kind="payment",
            initiator=payer,
            source=source,
            destination=destination,
            amount=amount,
            currency=currency,
            metadata={"payment_request": str(payment_request.public_id)},
        )
    )
    entry = entry_post(
        kind=JournalEntry.Kind.PAYMENT,
        lines=[Line(source, -amount), Line(destination, amount)],
        memo=payment_request.memo,
        initiator=payer,
        metadata={
            "payment_request": str(payment_request.public_id),
            "from": str(payer.public_id),
            "to": str(payment_request.requester.public_id),
        },
    )
    payment_request.status = PaymentRequest.Status.PAID
    payment_request.paid_at = timezone.now()
    payment_request.paid_by = payer
    payment_request.entry = entry
    payment_request.save(update_fields=["status", "paid_at", "paid_by", "entry"])
    _log(payment_request, payer, QrLog.Action.PAID)
    audit_event_record(
        action="payment_request.paid",
        actor=payer,
        target=payment_request,
        changes={"status": {"before": "open", "after": "paid"}},
        metadata={"entry": str(entry.public_id), "amount_minor": units},
    )
    return payment_request


@transaction.atomic
def payment_request_cancel(*, public_id, requester) -> PaymentRequest:
    """The requester withdraws their open request; a paid one stays paid."""
    payment_request = (
        PaymentRequest.objects.select_for_update().filter(public_id=public_id, requester=requester).first()
    )
    if payment_request is None:
        raise PaymentRequestNotFound()
    if payment_request.status == PaymentRequest.Status.PAID:
        raise PaymentRequestPaid()
    if payment_request.status == PaymentRequest.Status.OPEN:
        payment_request.status = PaymentRequest.Status.CANCELLED
        payment_request.save(update_fields=["status"])
        _log(payment_request, requester, QrLog.Action.CANCELLED)
        audit_event_record(
            action="payment_request.cancelled",
            actor=requester,
            target=payment_request,
            changes={"status": {"before": "open", "after": "cancelled"}},
        )
    return payment_request
