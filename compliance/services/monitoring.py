"""Transaction monitoring: run the active rules over a ledger entry, raise alerts, open cases.

``monitor_entry`` runs after each posting's commit (``entry_posted_listener`` queues it)
and again from the daily batch (``monitor_daily``) over the previous day's entries, so an
entry whose queued run was lost is still checked. Both see the same history (the
customer's movements up to the entry), so they find the same things; an alert is written
once per rule code, customer and entry (checked first, and a unique constraint settles a
race), so the second run writes nothing and opens no case.

New alerts of one customer go into their open monitoring case (``case_open``), and the
customer's risk rating is recalculated. Rules are data (``MonitoringRule``): editing one
makes a new version and deactivates the old, and alerts keep pointing at the version that
fired.
"""

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore.exceptions import ValidationFailed
from blockscore.queue import Batcher
from compliance.models import Case, MonitoringAlert, MonitoringRule
from compliance.monitoring import rules as engine
from compliance.services.cases import case_open
from wallets.models import JournalEntry, LedgerAccount, Posting

logger = logging.getLogger(__name__)


# Entries committed within a quarter of a second are monitored by one task: a posting
# does not pay for a broker round trip of its own. What a crash loses, monitor_daily finds.
_posted = Batcher("compliance.monitor_entries", delay=0.25, size=200)


def entry_posted_listener(entry) -> None:
    """Queue monitoring of ``entry`` once the transaction that posted it commits."""
    _posted.add(entry.pk)


def _movement(posting: Posting, countries: tuple[str, ...] = ()) -> engine.Movement:
    return engine.Movement(
        entry_id=posting.entry_id,
        kind=posting.entry.kind,
        currency=posting.currency,
        amount_minor=posting.amount_minor,
        at=posting.posted_at,
        counterparty_countries=countries,
    )


def _history(user_id: int, entry: JournalEntry) -> list[engine.Movement]:
    """The customer's movements over the last HISTORY_DAYS up to and including ``entry``."""
    postings = (
        Posting.objects.filter(
            account__owner_id=user_id,
            account__kind=LedgerAccount.Kind.CUSTOMER_WALLET,
            posted_at__gte=entry.posted_at - timedelta(days=engine.HISTORY_DAYS),
            posted_at__lte=entry.posted_at,
        )
        .select_related("entry")
        .order_by("posted_at", "id")
    )
    # Entries posted in the same instant but after this one are not part of its history.
    return [_movement(p) for p in postings if p.posted_at < entry.posted_at or p.entry_id <= entry.pk]


def monitor_entry(*, entry_id: int) -> list[MonitoringAlert]:
    """Evaluate every active rule for each customer whose wallet ``entry_id`` touched.

    Returns the alerts written by this call (none when they already existed)."""
    from compliance.services.risk import countries_of

    entry = JournalEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return []
    postings = list(
        entry.postings.filter(account__kind=LedgerAccount.Kind.CUSTOMER_WALLET).select_related("account", "entry")
    )
    if not postings:
        return []
    rules = list(MonitoringRule.objects.filter(active=True).order_by("code"))
    owners = {p.account.owner_id for p in postings}
    countries = countries_of(owners) if len(owners) > 1 else {}
    by_owner: dict[int, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_owner[posting.account.owner_id].append(posting)
    raised: list[MonitoringAlert] = []
    for owner_id, own in sorted(by_owner.items()):
        others = set().union(*(countries.get(other, set()) for other in owners - {owner_id}))
        triggers = [_movement(p, tuple(sorted(others))) for p in own]
        history = _history(owner_id, entry)
        found = {}
        for rule in rules:
            findings = engine.evaluate(rule.code, triggers, history, rule.parameters)
            if findings:
                found[rule] = findings
        if found:
            raised += _raise(owner_id, entry, found)
    return raised


@transaction.atomic
def _raise(owner_id: int, entry: JournalEntry, found: dict) -> list[MonitoringAlert]:
    from compliance.services.risk import risk_recalculate

    user = get_user_model().objects.get(pk=owner_id)
    new: list[MonitoringAlert] = []
    for rule, findings in found.items():
        if MonitoringAlert.objects.filter(rule__code=rule.code, user=user, entry=entry).exists():
            continue
        details = {
            "summary": "; ".join(f.summary for f in findings),
            "rule_version": rule.version,
            "parameters": rule.parameters,
            "findings": [f.as_dict() for f in findings],
        }
        try:
            with transaction.atomic():
                alert = MonitoringAlert.objects.create(rule=rule, user=user, entry=entry, details=details)
        except IntegrityError:  # the other run (on commit or daily batch) wrote it first
            continue
        new.append(alert)
    if not new:
        return []
    summary = f"Transaction monitoring: {', '.join(a.rule.get_code_display() for a in new)} on {entry.kind}"
    case = case_open(subject=user, kind=Case.Kind.MONITORING, summary=summary, alerts=new)
    audit_event_record(
        action="monitoring.alerts_raised",
        target=user,
        metadata={
            "entry": str(entry.public_id),
            "case": str(case.public_id),
            "alerts": [{"id": a.pk, "rule": a.rule.code, "version": a.rule.version} for a in new],
        },
    )
    risk_recalculate(user=user, trigger="monitoring_alert")
    return new


def _day_bounds(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def monitor_daily(*, day=None) -> dict:
    """Monitor every entry of ``day`` (default: yesterday, local time) that touched a
    customer wallet; what the on-commit runs already alerted on is not alerted again."""
    day = day or timezone.localdate() - timedelta(days=1)
    start, end = _day_bounds(day)
    entry_ids = (
        Posting.objects.filter(
            posted_at__gte=start, posted_at__lt=end, account__kind=LedgerAccount.Kind.CUSTOMER_WALLET
        )
        .order_by("entry_id")
        .values_list("entry_id", flat=True)
        .distinct()
    )
    entries = alerts = 0
    for entry_id in entry_ids.iterator():
        alerts += len(monitor_entry(entry_id=entry_id))
        entries += 1
    return {"day": day.isoformat(), "entries": entries, "alerts": alerts}


@transaction.atomic
def monitoring_rule_change(*, rule: MonitoringRule, parameters, actor, description: str | None = None):
    """A new version of ``rule`` with these parameters; the old version is deactivated (its
    alerts keep pointing at it). Audited with both parameter sets."""
    current = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
    if not current.active:
        raise ValidationFailed("Only the active version of a rule can be changed.", code="rule_not_active")
    try:
        clean = engine.validate_parameters(current.code, parameters)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="invalid_rule_parameters") from exc
    latest = MonitoringRule.objects.filter(code=current.code).order_by("-version").first()
    current.active = False
    current.save(update_fields=["active"])
    new = MonitoringRule.objects.create(
        code=current.code,
        version=latest.version + 1,
        active=True,
        parameters=clean,
        description=current.description if description is None else description[:280],
        created_by=actor,
    )
    audit_event_record(
        action="monitoring.rule_changed",
        actor=actor,
        target=new,
        changes={"parameters": {"before": current.parameters, "after": clean}},
        metadata={"code": new.code, "from_version": current.version, "to_version": new.version},
    )
    return new
