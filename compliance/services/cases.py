"""Opening cases: where screening hits and monitoring alerts go to be investigated.

The case workflow (assign, notes, investigate, close, escalate) lives here too; opening
is what the screening and monitoring services call."""

from django.db import transaction

from audit.services import audit_event_record
from compliance.models import Case


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
