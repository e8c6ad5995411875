"""Customer risk rating: points per factor, a 0-100 score, a level, and why.

Factors (each recorded with its points and the reason):

========================  ==========================================================  ======
factor                    when                                                         points
========================  ==========================================================  ======
country                   a KYC nationality / residence or the profile country is on    40
                          the high-risk list (the active high_risk_country rule's
                          countries; FATF call for action)
                          ... or on the medium list (FATF increased monitoring)          20
screening                 a confirmed sanctions hit                                      60
                          an open hit scoring 0.95 or more                               30
                          any other open hit                                             20
monitoring_alerts         alerts in the last 90 days: 10 each                        max 30
volume                    90-day volume in a currency at least 10x its large-            15
                          transaction threshold (at least 3x: 5)
cases                     a case closed as confirmed or escalated                        30
========================  ==========================================================  ======

The score is the sum, capped at 100. Levels: low below 30, medium 30 to 59, high 60 and
above; high sets ``enhanced_due_diligence``. A customer with nothing against them is low
with score 0. ``risk_recalculate`` is called after monitoring alerts and case decisions,
and (through the ``compliance.recalculate_risk`` task) after KYC decisions.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from compliance.models import Case, CustomerRisk, KycSubmission, MonitoringAlert, MonitoringRule, ScreeningHit
from compliance.monitoring.rules import DEFAULTS, LARGE_THRESHOLDS
from wallets.models import LedgerAccount, Posting

MEDIUM_THRESHOLD = 30
HIGH_THRESHOLD = 60
ACTIVITY_DAYS = 90

# FATF "jurisdictions under increased monitoring" as published in June 2025; keep in step
# with the FATF's plenary outcomes.
MEDIUM_RISK_COUNTRIES = frozenset("DZ AO BO BG BF CM CI CD HT KE LA LB MC MZ NA NP NG ZA SS SY VE VN VG YE".split())


def level_for(score: int) -> str:
    if score >= HIGH_THRESHOLD:
        return CustomerRisk.Level.HIGH
    if score >= MEDIUM_THRESHOLD:
        return CustomerRisk.Level.MEDIUM
    return CustomerRisk.Level.LOW


def high_risk_countries() -> frozenset[str]:
    rule = MonitoringRule.objects.filter(code=MonitoringRule.Code.HIGH_RISK_COUNTRY, active=True).first()
    countries = rule.parameters.get("countries") if rule else DEFAULTS["high_risk_country"]["countries"]
    return frozenset(c.upper() for c in countries)


def countries_of(user_ids) -> dict[int, set[str]]:
    """Each customer's countries: the nationality and residence of their latest KYC
    submission that was not rejected, and their profile country."""
    from accounts.models import Profile

    user_ids = set(user_ids)
    found: dict[int, set[str]] = {pk: set() for pk in user_ids}
    seen: set[int] = set()
    submissions = (
        KycSubmission.objects.filter(user_id__in=user_ids)
        .exclude(status=KycSubmission.Status.REJECTED)
        .order_by("user_id", "-submitted_at", "-id")
        .values_list("user_id", "nationality", "country")
    )
    for user_id, nationality, country in submissions:
        if user_id not in seen:
            seen.add(user_id)
            found[user_id] |= {c.upper() for c in (nationality, country) if c}
    for user_id, country in Profile.objects.filter(user_id__in=user_ids).values_list("user_id", "country"):
        if country:
            found[user_id].add(str(country).upper())
    return found


def _factor(name: str, points: int, why: str) -> dict:
    return {"factor": name, "points": points, "why": why}


def risk_factors(user) -> list[dict]:
    """Every factor that adds points for ``user`` (see the module docstring)."""
    factors = []
    countries = countries_of([user.pk])[user.pk]
    high = sorted(countries & high_risk_countries())
    medium = sorted(countries & MEDIUM_RISK_COUNTRIES)
    if high:
        factors.append(_factor("country", 40, f"Tied to high-risk country {', '.join(high)} (KYC or profile)"))
    elif medium:
        factors.append(_factor("country", 20, f"Tied to {', '.join(medium)}, under FATF increased monitoring"))

    hits = ScreeningHit.objects.filter(
        user=user, status__in=[ScreeningHit.Status.OPEN, ScreeningHit.Status.CONFIRMED]
    ).order_by("-score")
    confirmed = hits.filter(status=ScreeningHit.Status.CONFIRMED).first()
    best_open = hits.filter(status=ScreeningHit.Status.OPEN).first()
    if confirmed is not None:
        factors.append(
            _factor("screening", 60, f"Confirmed match with {confirmed.matched_name} ({confirmed.list_source})")
        )
    elif best_open is not None:
        points = 30 if best_open.score >= Decimal("0.95") else 20
        factors.append(
            _factor(
                "screening",
                points,
                f"Open screening hit {best_open.matched_name} ({best_open.list_source}), score {best_open.score}",
            )
        )

    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    alerts = MonitoringAlert.objects.filter(user=user, created_at__gte=since).count()
    if alerts:
        factors.append(
            _factor("monitoring_alerts", min(30, 10 * alerts), f"{alerts} monitoring alert(s) in {ACTIVITY_DAYS} days")
        )

    rule = MonitoringRule.objects.filter(code=MonitoringRule.Code.LARGE_TRANSACTION, active=True).first()
    thresholds = (rule.parameters.get("thresholds") if rule else None) or LARGE_THRESHOLDS
    volumes = {}
    for posting in Posting.objects.filter(
        account__owner=user, account__kind=LedgerAccount.Kind.CUSTOMER_WALLET, posted_at__gte=since
    ).values_list("currency", "amount_minor"):
        volumes[posting[0]] = volumes.get(posting[0], 0) + abs(posting[1])
    best = (0, "")
    for currency, minor in sorted(volumes.items()):
        if currency not in thresholds:
            continue
        threshold = money.to_minor_units(Decimal(thresholds[currency]), currency)
        points = 15 if minor >= 10 * threshold else 5 if minor >= 3 * threshold else 0
        if points > best[0]:
            shown = money.format_amount(money.from_minor_units(minor, currency), currency)
            best = (points, f"{shown} {currency} moved in {ACTIVITY_DAYS} days")
    if best[0]:
        factors.append(_factor("volume", *best))

    decided = Case.objects.filter(
        Q(status=Case.Status.CLOSED_CONFIRMED) | Q(status=Case.Status.ESCALATED), subject=user
    ).count()
    if decided:
        factors.append(_factor("cases", 30, f"{decided} case(s) closed as confirmed or escalated"))
    return factors


@transaction.atomic
def risk_recalculate(*, user, trigger: str) -> CustomerRisk:
    """Rate ``user`` again and store the level, score and factors; a change of level is audited."""
    factors = risk_factors(user)
    score = min(100, sum(f["points"] for f in factors))
    level = level_for(score)
    previous = CustomerRisk.objects.select_for_update().filter(user=user).first()
    before = previous.level if previous else None
    risk, _ = CustomerRisk.objects.update_or_create(
        user=user,
        defaults={
            "level": level,
            "score": score,
            "factors": factors,
            "enhanced_due_diligence": level == CustomerRisk.Level.HIGH,
            "updated_at": timezone.now(),
            "trigger": trigger[:32],
        },
    )
    if before != level:
        audit_event_record(
            action="risk.level_changed",
            target=user,
            changes={"level": {"before": before, "after": level}, "score": {"after": score}},
            metadata={"trigger": trigger, "factors": factors},
        )
    return risk
