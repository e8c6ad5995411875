"""Compliance's pre-transfer checks, registered into the ledger's registry (wallets.checks).

KYC tiers: a customer without an approved KYC submission sends money out (transfers,
payouts, payments, exchanges) within the small KYC_UNVERIFIED_LIMITS: per transaction,
and per day for transfers, read from the wallet's running daily total that the ledger
keeps under the transfer's row lock. Once approved, the standard TRANSFER_LIMITS apply.
Money coming in is not limited; staff and system movements are not limited here.
"""

from decimal import Decimal

from django.conf import settings

from blockscore import money
from wallets.checks import MovementIntent, register_pre_transfer_check
from wallets.exceptions import TransferRefused
from wallets.services.ledger import sent_on


class KycLimitExceeded(TransferRefused):
    code = "kyc_limit_exceeded"
    default_detail = "Verify your identity to move this much."


def _limits(currency: str) -> tuple[Decimal, Decimal] | None:
    limits = settings.KYC_UNVERIFIED_LIMITS.get(currency)
    if limits is None:
        return None
    return Decimal(limits[0]), Decimal(limits[1])


OUTGOING = {"transfer", "withdrawal", "payment", "fx_exchange"}


def kyc_tier_limits(intent: MovementIntent) -> None:
    """Money out of an unverified customer's wallet stays within KYC_UNVERIFIED_LIMITS.

    Receiving is not limited. The KYC status is only looked up when a movement would go
    over the small limits, so everyday movements cost no query."""
    user = intent.initiator
    source = intent.source
    if intent.kind not in OUTGOING or source is None or user is None or getattr(user, "is_staff", False):
        return
    if source.owner_id != getattr(user, "pk", None):
        return
    limits = _limits(intent.currency)
    if limits is None:
        return
    per_transaction, per_day = limits
    over = None
    if intent.amount > per_transaction:
        shown = money.format_amount(per_transaction, intent.currency)
        over = f"Until your identity is verified you can move at most {shown} {intent.currency} at a time."
    elif intent.kind == "transfer":
        sent = sent_on(source)
        if money.from_minor_units(sent, intent.currency) + intent.amount > per_day:
            shown = money.format_amount(per_day, intent.currency)
            over = f"Until your identity is verified you can send at most {shown} {intent.currency} a day."
    if over is None:
        return
    from compliance.services.kyc import is_verified

    if not is_verified(user):
        raise KycLimitExceeded(
            over, extra={"limit": shown, "currency": intent.currency, "verify": "/api/v1/kyc/submissions"}
        )


def register() -> None:
    register_pre_transfer_check("compliance.kyc_tier_limits", kyc_tier_limits)


def rescreen_on_identity_change(user, fields: set[str]) -> None:
    """A customer changed their name or date of birth: screen them again after commit."""
    from blockscore.queue import enqueue

    if getattr(user, "is_staff", False):
        return
    enqueue("compliance.screen_customer", user.pk, "profile_change")
