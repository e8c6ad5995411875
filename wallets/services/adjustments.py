"""Maker-checker for manual ledger corrections (see wallets.models.adjustments)."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from blockscore.exceptions import DomainError, PermissionDenied
from wallets import exceptions
from wallets.models import Adjustment, JournalEntry, LedgerAccount
from wallets.services.accounts import system_account
from wallets.services.ledger import Line, entry_post, entry_reverse


class SameApprover(PermissionDenied):
    code = "maker_checker"
    default_detail = "The person who proposed a correction cannot approve it."


class AdjustmentNotAllowed(DomainError):
    code = "adjustment_not_allowed"
    status_code = 422
    default_detail = "This correction cannot be proposed."


def _propose_audit(adjustment: Adjustment, actor) -> None:
    audit_event_record(
        action="adjustment.proposed",
        actor=actor,
        target=adjustment,
        metadata={
            "kind": adjustment.kind,
            "reason": adjustment.reason,
            "account": adjustment.account.number if adjustment.account_id else None,
            "amount": str(adjustment.amount) if adjustment.amount is not None else None,
            "entry": str(adjustment.entry_to_reverse.public_id) if adjustment.entry_to_reverse_id else None,
        },
    )


@transaction.atomic
def adjustment_propose(*, actor, account: LedgerAccount, amount: Decimal, reason: str) -> Adjustment:
    if account.kind == LedgerAccount.Kind.SUSPENSE:
        raise AdjustmentNotAllowed("The suspense account is the other side of every adjustment.")
    if not reason.strip():
        raise AdjustmentNotAllowed("Give the reason for the correction.")
    units = money.to_minor_units(amount, account.currency)
    if units == 0:
        raise AdjustmentNotAllowed("The amount may not be zero.")
    adjustment = Adjustment.objects.create(
        kind=Adjustment.Kind.ADJUSTMENT, account=account, amount_minor=units, reason=reason, proposed_by=actor
    )
    _propose_audit(adjustment, actor)
    return adjustment


@transaction.atomic
def reversal_propose(*, actor, entry: JournalEntry, reason: str) -> Adjustment:
    if entry.kind == JournalEntry.Kind.REVERSAL:
        raise exceptions.CannotReverseReversal()
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise exceptions.EntryAlreadyReversed()
    if not reason.strip():
        raise AdjustmentNotAllowed("Give the reason for the correction.")
    adjustment = Adjustment.objects.create(
        kind=Adjustment.Kind.REVERSAL, entry_to_reverse=entry, reason=reason, proposed_by=actor
    )
    _propose_audit(adjustment, actor)
    return adjustment


def _decide(adjustment: Adjustment, actor, status: str, note: str) -> Adjustment:
    locked = (
        Adjustment.objects.select_for_update(of=("self",))
        .select_related("account", "entry_to_reverse")
        .get(pk=adjustment.pk)
    )
    if locked.status != Adjustment.Status.PROPOSED:
        raise exceptions.InvalidTransition(f"It is already {locked.status}.")
    if locked.proposed_by_id == getattr(actor, "pk", None):
        raise SameApprover()
    locked.status, locked.decided_by, locked.decided_at, locked.decision_note = status, actor, timezone.now(), note
    return locked


@transaction.atomic
def adjustment_approve(*, adjustment: Adjustment, actor, note: str = "") -> Adjustment:
    """A second person approves: post the correction now, in this transaction."""
    adjustment = _decide(adjustment, actor, Adjustment.Status.APPROVED, note)
    if adjustment.kind == Adjustment.Kind.REVERSAL:
        adjustment.posted_entry = entry_reverse(
            entry=adjustment.entry_to_reverse,
            initiator=actor,
            memo=f"Reversal: {adjustment.reason}",
            idempotency_key=f"adjustment:{adjustment.public_id}",
        )
    else:
        account = adjustment.account
        amount = adjustment.amount
        suspense = system_account(LedgerAccount.Kind.SUSPENSE, account.currency)
        adjustment.posted_entry = entry_post(
            kind=JournalEntry.Kind.ADJUSTMENT,
            lines=[Line(account, amount), Line(suspense, -amount)],
            memo=adjustment.reason,
            initiator=actor,
            idempotency_key=f"adjustment:{adjustment.public_id}",
            metadata={"adjustment": str(adjustment.public_id), "proposed_by": str(adjustment.proposed_by.public_id)},
        )
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "posted_entry"])
    audit_event_record(
        action="adjustment.approved",
        actor=actor,
        target=adjustment,
        changes={"status": {"before": "proposed", "after": "approved"}},
        metadata={"note": note},
    )
    return adjustment


@transaction.atomic
def adjustment_reject(*, adjustment: Adjustment, actor, note: str = "") -> Adjustment:
    adjustment = _decide(adjustment, actor, Adjustment.Status.REJECTED, note)
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_event_record(
        action="adjustment.rejected",
        actor=actor,
        target=adjustment,
        changes={"status": {"before": "proposed", "after": "rejected"}},
        metadata={"note": note},
    )
    return adjustment
