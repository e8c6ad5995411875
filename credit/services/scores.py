"""Computing scores: history rows, alerts and milestones.

``score_compute`` scores a customer with the champion model and writes a history row
when the inputs or the model changed since the customer's last score (or always, for a
refresh the customer asked for and for a loan application, which need their own record).
Challengers are scored in the same pass for comparison (``ShadowScore``-free: their
results go to the log, never to the customer).

Alerts compare the new score with the previous one: crossing a band boundary (up or
down) or moving 20 points or more creates one alert, e-mailed after commit when the
customer accepts e-mail; reaching a band above "poor" for the first time records a
milestone (and the alert says so).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from blockscore.queue import enqueue
from credit import selectors
from credit.exceptions import InvalidScoringInput, MissingAnswers, RefreshTooSoon
from credit.models import BAND_ORDER, Band, CreditScore, ScoreAlert, ScoreMilestone

logger = logging.getLogger(__name__)

ALERT_POINTS = 20


def _registry():
    from credit.services import registry  # the model registry (champion and challengers)

    return registry


def reason_dict(reason) -> dict:
    """A reason code as a history row stores it (and the API shows it)."""
    return {
        "code": reason.code,
        "feature": reason.feature,
        "text": reason.text,
        "hint": reason.hint,
        "points_lost": reason.points_lost,
    }


def _result_fields(result) -> dict:
    return {
        "score": result.score,
        "band": result.band,
        "pd": result.pd,
        "reason_codes": [reason_dict(reason) for reason in result.reason_codes],
    }


def score_compute(*, user, trigger: str, overrides: dict | None = None, now=None) -> CreditScore:
    """Score ``user`` with the champion model; see the module docstring for when a row is written.

    Raises ``NoActiveModel`` (503) and ``MissingAnswers`` (409, naming the question keys)."""
    model, scorecard = _registry().champion_scorecard()
    inputs, sources, missing = selectors.score_inputs(user, scorecard, overrides=overrides)
    if missing:
        raise MissingAnswers(f"Answer these survey questions first: {', '.join(missing)}.", extra={"missing": missing})
    result = scorecard.score(inputs)
    digest = selectors.inputs_hash(inputs)
    now = now or timezone.now()
    always_new = trigger in (CreditScore.Trigger.REFRESH, CreditScore.Trigger.APPLICATION)
    with transaction.atomic():
        # One scorer per customer at a time: the previous score read here is the last one.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        previous = selectors.latest_score(user)
        if not always_new and previous is not None and previous.model_id == model.pk and previous.inputs_hash == digest:
            return previous
        score = CreditScore.objects.create(
            user=user,
            model=model,
            inputs={name: {"value": value, "source": sources[name]} for name, value in inputs.items()},
            inputs_hash=digest,
            trigger=trigger,
            computed_at=now,
            **_result_fields(result),
        )
        score_alerts_record(score=score, previous=previous)
    _shadow_score(user, inputs, score)
    return score


def score_current(*, user) -> CreditScore:
    """The customer's latest score, computed on demand when there is none."""
    return selectors.latest_score(user) or score_compute(user=user, trigger=CreditScore.Trigger.ON_DEMAND)


def score_refresh(*, user) -> CreditScore:
    """A new score now, at most once per SCORE_REFRESH_INTERVAL_SECONDS per customer."""
    interval = timedelta(seconds=settings.SCORE_REFRESH_INTERVAL_SECONDS)
    last = (
        CreditScore.objects.filter(user=user, trigger=CreditScore.Trigger.REFRESH)
        .order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    now = timezone.now()
    if last is not None and now - last < interval:
        wait = int((last + interval - now).total_seconds()) + 1
        raise RefreshTooSoon(f"You can refresh your score again in {wait // 60 + 1} minutes.", retry_after=wait)
    return score_compute(user=user, trigger=CreditScore.Trigger.REFRESH, now=now)


def _shadow_score(user, inputs: dict, champion: CreditScore) -> None:
    """Score with each challenger for comparison; never stored on the customer. Challengers
    whose artifact fails its check are skipped by the registry."""
    for model, scorecard in _registry().challenger_scorecards():
        try:
            result = scorecard.score(inputs)
        except (MissingAnswers, InvalidScoringInput) as exc:  # a challenger may use other inputs
            logger.info("challenger could not score", extra={"model": model.version, "error": exc.detail})
            continue
        logger.info(
            "shadow score",
            extra={
                "model": model.version,
                "champion_model": champion.model.version,
                "score": result.score,
                "champion_score": champion.score,
                "user": str(user.public_id),
            },
        )


# --- alerts and milestones -------------------------------------------------------------


def _band_rank(band: str) -> int:
    return BAND_ORDER.index(band)


def alert_kind(score: CreditScore, last: CreditScore, first_time: bool) -> str | None:
    """The alert a new score deserves against the previous one, if any (``first_time``: the
    new band is a milestone)."""
    up = _band_rank(score.band) - _band_rank(last.band)
    delta = score.score - last.score
    if up > 0:
        return ScoreAlert.Kind.MILESTONE if first_time else ScoreAlert.Kind.BAND_UP
    if up < 0:
        return ScoreAlert.Kind.BAND_DOWN
    if delta >= ALERT_POINTS:
        return ScoreAlert.Kind.POINTS_UP
    if delta <= -ALERT_POINTS:
        return ScoreAlert.Kind.POINTS_DOWN
    return None


def alert_message(kind: str, score: CreditScore, last: CreditScore) -> str:
    label = Band(score.band).label.lower()
    delta = score.score - last.score
    return {
        ScoreAlert.Kind.BAND_UP: f"Your score rose to {score.score}: you are now in the {label} band.",
        ScoreAlert.Kind.MILESTONE: f"Your score rose to {score.score}: you are now in the {label} band. "
        "It is the first time you reached it.",
        ScoreAlert.Kind.BAND_DOWN: f"Your score fell to {score.score}: you are now in the {label} band.",
        ScoreAlert.Kind.POINTS_UP: f"Your score rose {delta} points to {score.score}.",
        ScoreAlert.Kind.POINTS_DOWN: f"Your score fell {-delta} points to {score.score}.",
    }[kind]


def is_milestone(score: CreditScore, last: CreditScore | None, reached: set[str]) -> bool:
    """A band above poor that the customer reaches for the first time, not by falling into it."""
    rank = _band_rank(score.band)
    if rank == 0 or score.band in reached:
        return False
    return last is None or _band_rank(last.band) < rank


def score_alerts_record(*, score: CreditScore, previous: CreditScore | None) -> list[ScoreAlert]:
    """Alerts and milestones for a new score (in the caller's transaction)."""
    reached = set(ScoreMilestone.objects.filter(user=score.user).values_list("band", flat=True))
    first_time = is_milestone(score, previous, reached)
    if first_time:
        ScoreMilestone.objects.create(user=score.user, band=score.band, score=score, reached_at=score.computed_at)
    kind = alert_kind(score, previous, first_time) if previous is not None else None
    if kind is None:
        return []
    alert = ScoreAlert.objects.create(
        user=score.user, kind=kind, score=score, previous_score=previous, message=alert_message(kind, score, previous)
    )
    enqueue("credit.send_score_alert", alert.pk)
    return [alert]


def score_alert_send(*, alert_id: int) -> bool:
    """E-mail one alert from its template, once, if the customer accepts e-mail."""
    alert = ScoreAlert.objects.select_related("user", "score", "previous_score").filter(pk=alert_id).first()
    if alert is None or alert.emailed_at is not None:
        return False
    preferences = getattr(alert.user, "preferences", None)
    if preferences is not None and not preferences.notify_email:
        return False
    context = {"alert": alert, "score": alert.score, "previous": alert.previous_score, "user": alert.user}
    send_mail(
        subject=render_to_string("credit/email/score_alert_subject.txt", context).strip(),
        message=render_to_string("credit/email/score_alert.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[alert.user.email],
    )
    # Claim it once: a task run twice e-mails once.
    return bool(ScoreAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()))


def score_alert_read(*, user, alert_id) -> ScoreAlert:
    from blockscore.exceptions import NotFound

    alert = ScoreAlert.objects.filter(user=user, public_id=alert_id).first()
    if alert is None:
        raise NotFound("No such alert.")
    if alert.read_at is None:
        alert.read_at = timezone.now()
        alert.save(update_fields=["read_at"])
    return alert
