"""Opening cases: where screening hits and monitoring alerts go to be investigated.

The case workflow (assign, notes, investigate, close, escalate) lives here too; opening
is what the screening and monitoring services call."""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore.exceptions import Conflict, PermissionDenied, ValidationFailed
from compliance.models import Case, CaseNote, ScreeningHit
from wallets.models import LedgerAccount


@transaction.atomic
def case_open(*, subject, kind: str, summary: str, hits=(), alerts=()) -> Case:
    """Open a case about ``subject`` and attach the hits or alerts that raised it.

    One open case per subject and kind collects new hits or alerts instead of opening
    another: an officer sees everything about that customer in one place."""
    case = (
        Case.objects.select_for_update()
        .filter(subject=subject, kind=kind, status__in=[Case.Status.OPEN, Case.Status.INVESTIGATING])
        .order_by("opened_at")
        .first()
    )
    created = case is None
    if created:
        case = Case.objects.create(subject=subject, kind=kind, summary=summary[:500])
    for item in [*hits, *alerts]:
        item.case = case
        item.save(update_fields=["case"])
    audit_event_record(
        action="case.opened" if created else "case.note_added",
        actor=None,
        target=case,
        metadata={
            "kind": kind,
            "summary": summary[:500],
            "hits": [hit.pk for hit in hits],
            "alerts": [alert.pk for alert in alerts],
            "reopened_existing": not created,
        },
    )
    return case


# The workflow ------------------------------------------------------------------------
#
# open ──────────► investigating ──┬──► closed_false_positive   (hits dismissed)
#   │                              ├──► closed_confirmed        (wallets frozen, hits confirmed)
#   └──(decide at once)────────────┴──► escalated ──► closed_confirmed
#
# Closed cases are final. Every step is audited with who, when, from which state and why
# (the decision's note is also kept as a case note). An officer never works on a case
# about their own account.

DECIDERS_PERMISSION = "compliance.decide_case"
OPEN_STATES = (Case.Status.OPEN, Case.Status.INVESTIGATING)
TRANSITIONS = {
    Case.Status.OPEN: {
        Case.Status.INVESTIGATING,
        Case.Status.CLOSED_FALSE_POSITIVE,
        Case.Status.CLOSED_CONFIRMED,
        Case.Status.ESCALATED,
    },
    Case.Status.INVESTIGATING: {Case.Status.CLOSED_FALSE_POSITIVE, Case.Status.CLOSED_CONFIRMED, Case.Status.ESCALATED},
    Case.Status.ESCALATED: {Case.Status.CLOSED_CONFIRMED},
    Case.Status.CLOSED_FALSE_POSITIVE: set(),
    Case.Status.CLOSED_CONFIRMED: set(),
}


class CaseTransitionInvalid(Conflict):
    code = "case_transition_invalid"
    default_detail = "The case cannot move to that state from its current one."


class CaseOwnAccount(PermissionDenied):
    code = "case_own_account"
    default_detail = "This case is about your own account: another officer must handle it."


class CaseNotAllowed(PermissionDenied):
    code = "case_not_allowed"
    default_detail = "Handling cases needs the compliance officer role."


class CaseNoteRequired(ValidationFailed):
    code = "case_note_required"
    default_detail = "Say why in a note."


def _locked(case: Case, officer, permission: str = DECIDERS_PERMISSION) -> Case:
    if not officer.has_perm(permission):
        raise CaseNotAllowed()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.subject_id == officer.pk:
        raise CaseOwnAccount()
    return locked


def _check(case: Case, to: str) -> None:
    if to not in TRANSITIONS[case.status]:
        raise CaseTransitionInvalid(
            f"A case that is {case.get_status_display().lower()} cannot become {Case.Status(to).label.lower()}.",
            extra={"from": case.status, "to": to},
        )


def _move(case: Case, *, to: str, officer, note: str = "", metadata: dict | None = None) -> Case:
    _check(case, to)
    before = case.status
    case.status = to
    fields = ["status"]
    if to in (Case.Status.CLOSED_FALSE_POSITIVE, Case.Status.CLOSED_CONFIRMED, Case.Status.ESCALATED):
        case.decided_by = officer
        fields.append("decided_by")
    if to in (Case.Status.CLOSED_FALSE_POSITIVE, Case.Status.CLOSED_CONFIRMED):
        case.closed_at = timezone.now()
        fields.append("closed_at")
    if case.assigned_to_id is None:
        case.assigned_to = officer
        fields.append("assigned_to")
    case.save(update_fields=fields)
    if note:
        CaseNote.objects.create(case=case, author=officer, text=note)
    audit_event_record(
        action="case.status_changed",
        actor=officer,
        target=case,
        changes={"status": {"before": before, "after": to}},
        metadata={"note": note, **(metadata or {})},
    )
    return case


def _note_required(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise CaseNoteRequired()
    return note


def _after_decision(case: Case) -> None:
    from compliance.services.risk import risk_recalculate

    risk_recalculate(user=case.subject, trigger="case_decision")


@transaction.atomic
def case_assign(*, case: Case, officer) -> Case:
    """Assign the case to ``officer`` (who must be allowed to decide cases)."""
    case = _locked(case, officer)
    if case.status not in OPEN_STATES:
        raise CaseTransitionInvalid("Only open cases can be assigned.", code="case_closed")
    before = case.assigned_to_id
    case.assigned_to = officer
    case.save(update_fields=["assigned_to"])
    audit_event_record(
        action="case.assigned",
        actor=officer,
        target=case,
        changes={"assigned_to": {"before": before, "after": officer.pk}},
    )
    return case


@transaction.atomic
def case_note_add(*, case: Case, author, text: str) -> CaseNote:
    case = _locked(case, author, "compliance.add_casenote")
    note = CaseNote.objects.create(case=case, author=author, text=_note_required(text))
    audit_event_record(action="case.note_added", actor=author, target=case, metadata={"note": note.text})
    return note


@transaction.atomic
def case_investigate(*, case: Case, officer, note: str = "") -> Case:
    case = _locked(case, officer)
    return _move(case, to=Case.Status.INVESTIGATING, officer=officer, note=(note or "").strip())


def _decide_hits(case: Case, *, status: str, officer) -> list[int]:
    hits = list(case.hits.select_for_update().filter(status=ScreeningHit.Status.OPEN))
    now = timezone.now()
    action = "screening.hit_dismissed" if status == ScreeningHit.Status.DISMISSED else "screening.hit_confirmed"
    for hit in hits:
        hit.status, hit.decided_by, hit.decided_at = status, officer, now
        hit.save(update_fields=["status", "decided_by", "decided_at"])
        audit_event_record(
            action=action,
            actor=officer,
            target=hit,
            changes={"status": {"before": ScreeningHit.Status.OPEN, "after": status}},
            metadata={"case": str(case.public_id), "list": hit.list_source, "list_id": hit.list_id},
        )
    return [hit.pk for hit in hits]


@transaction.atomic
def case_close_false_positive(*, case: Case, officer, note: str) -> Case:
    """Close as a false positive; the case's open screening hits are dismissed, so the same
    hit on the same customer data is not raised again."""
    note = _note_required(note)
    case = _locked(case, officer)
    _check(case, Case.Status.CLOSED_FALSE_POSITIVE)
    dismissed = _decide_hits(case, status=ScreeningHit.Status.DISMISSED, officer=officer)
    _move(case, to=Case.Status.CLOSED_FALSE_POSITIVE, officer=officer, note=note, metadata={"hits": dismissed})
    _after_decision(case)
    return case


@transaction.atomic
def case_close_confirmed(*, case: Case, officer, note: str) -> Case:
    """Close as confirmed: every wallet of the subject is frozen through the ledger service
    (transfers are then refused) and the case's open hits are confirmed."""
    from wallets.selectors import wallets_of
    from wallets.services import wallet_set_status

    note = _note_required(note)
    case = _locked(case, officer)
    _check(case, Case.Status.CLOSED_CONFIRMED)
    confirmed = _decide_hits(case, status=ScreeningHit.Status.CONFIRMED, officer=officer)
    frozen = []
    for wallet in wallets_of(case.subject).order_by("pk"):
        if wallet.status == LedgerAccount.Status.ACTIVE:
            wallet_set_status(
                account=wallet,
                status=LedgerAccount.Status.FROZEN,
                actor=officer,
                reason=f"Compliance case {case.public_id} closed as confirmed",
            )
            frozen.append(wallet.number)
    _move(
        case,
        to=Case.Status.CLOSED_CONFIRMED,
        officer=officer,
        note=note,
        metadata={"hits": confirmed, "frozen_wallets": frozen},
    )
    _after_decision(case)
    return case


@transaction.atomic
def case_escalate(*, case: Case, officer, note: str) -> dict:
    """Escalate for a suspicious activity report; returns the report (see ``case_report``)."""
    note = _note_required(note)
    case = _locked(case, officer)
    _move(case, to=Case.Status.ESCALATED, officer=officer, note=note)
    _after_decision(case)
    return case_report(case=case, officer=officer)


@transaction.atomic
def case_report_export(*, case: Case, officer, fmt: str) -> str:
    """The case's report as ``json`` or ``csv`` text; each export is audited."""
    from compliance.services.case_report import report_csv, report_json

    if fmt not in ("json", "csv"):
        raise ValidationFailed("The report is exported as json or csv.", code="report_format")
    case = _locked(case, officer)
    report = case_report(case=case, officer=officer)
    audit_event_record(
        action="case.report_exported", actor=officer, target=case, metadata={"format": fmt, "status": case.status}
    )
    return report_json(report) if fmt == "json" else report_csv(report)


def case_report(*, case: Case, officer) -> dict:
    from compliance.services.case_report import build_report

    return build_report(case=case, officer=officer)


def sanctions_hold(user) -> bool:
    """Whether a sanctions screening case about ``user`` is open (not yet closed as a false
    positive) or was confirmed: such a customer may not be lent to (loans call this)."""
    return Case.objects.filter(
        subject=user,
        kind=Case.Kind.SCREENING,
        status__in=[Case.Status.OPEN, Case.Status.INVESTIGATING, Case.Status.ESCALATED, Case.Status.CLOSED_CONFIRMED],
    ).exists()
