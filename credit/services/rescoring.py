"""Nightly rescoring: every customer with survey answers, in batches with bulk writes.

For each batch of customers (ids in ascending order): their current answers, platform
inputs and latest score are read in a few queries, each customer is scored with the
champion, and a history row is written only when the inputs or the model changed since
their last score. New rows, alerts and milestones are bulk-inserted in one transaction
per batch; alert e-mails are queued after that commit. Running it twice in a night
writes nothing the second time.
"""

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from blockscore.queue import enqueue
from credit import selectors
from credit.features import platform_features_many
from credit.models import CreditScore, ScoreAlert, ScoreMilestone, SurveyAnswer
from credit.services.scores import _result_fields, alert_kind, alert_message, is_milestone

BATCH_SIZE = 2000


def _registry():
    from credit.services import registry

    return registry


def rescore_all(*, batch_size: int = BATCH_SIZE, now=None) -> dict:
    """Rescore every customer who has answered the survey. Returns counts for the JobRun."""
    model, scorecard = _registry().champion_scorecard()
    now = now or timezone.now()
    counts = {"customers": 0, "rescored": 0, "unchanged": 0, "incomplete": 0, "alerts": 0, "milestones": 0}
    user_ids = (
        SurveyAnswer.objects.filter(superseded_at__isnull=True, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    batch: list[int] = []
    for user_id in user_ids.iterator(chunk_size=batch_size):
        batch.append(user_id)
        if len(batch) >= batch_size:
            _rescore_batch(batch, model, scorecard, now, counts)
            batch = []
    if batch:
        _rescore_batch(batch, model, scorecard, now, counts)
    return counts


def _rescore_batch(user_ids: list[int], model, scorecard, now, counts: dict) -> None:
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for user_id, key, value in SurveyAnswer.objects.filter(
        user_id__in=user_ids, superseded_at__isnull=True
    ).values_list("user_id", "key", "value"):
        answers[user_id][key] = value
    platform = platform_features_many(user_ids)
    latest_ids = (
        CreditScore.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    previous = {
        row.user_id: row
        for row in CreditScore.objects.filter(id__in=list(latest_ids)).only(
            "id", "user_id", "model_id", "inputs_hash", "score", "band"
        )
    }
    reached = defaultdict(set)
    for user_id, band in ScoreMilestone.objects.filter(user_id__in=user_ids).values_list("user_id", "band"):
        reached[user_id].add(band)

    rows: list[_NewScore] = []
    for user_id in user_ids:
        counts["customers"] += 1
        inputs, sources, missing = selectors.score_inputs(
            None, scorecard, answers=answers.get(user_id, {}), platform=platform.get(user_id, {})
        )
        if missing:
            counts["incomplete"] += 1
            continue
        digest = selectors.inputs_hash(inputs)
        last = previous.get(user_id)
        if last is not None and last.model_id == model.pk and last.inputs_hash == digest:
            counts["unchanged"] += 1
            continue
        result = scorecard.score(inputs)
        fields = _result_fields(result)
        rows.append(
            _NewScore(
                user_id=user_id,
                score=result.score,
                band=result.band,
                pd=result.pd,
                reason_codes=json.dumps(fields["reason_codes"], separators=(",", ":")),
                inputs=json.dumps(
                    {name: {"value": value, "source": sources[name]} for name, value in inputs.items()},
                    separators=(",", ":"),
                ),
                inputs_hash=digest,
            )
        )
    if not rows:
        return
    with transaction.atomic():
        _insert(rows, model, now)
        alerts, milestones = [], []
        for score in rows:
            last = previous.get(score.user_id)
            first_time = is_milestone(score, last, reached[score.user_id])
            if first_time:
                milestones.append(
                    ScoreMilestone(user_id=score.user_id, band=score.band, score_id=score.pk, reached_at=now)
                )
            if last is None:
                continue
            kind = alert_kind(score, last, first_time)
            if kind is not None:
                alerts.append(
                    ScoreAlert(
                        user_id=score.user_id,
                        kind=kind,
                        score_id=score.pk,
                        previous_score_id=last.pk,
                        message=alert_message(kind, score, last)[:280],
                    )
                )
        ScoreMilestone.objects.bulk_create(milestones)
        created = ScoreAlert.objects.bulk_create(alerts)
        if created:
            enqueue("credit.send_score_alerts", [alert.pk for alert in created])
    counts["rescored"] += len(rows)
    counts["alerts"] += len(alerts)
    counts["milestones"] += len(milestones)


@dataclass
class _NewScore:
    user_id: int
    score: int
    band: str
    pd: Decimal
    reason_codes: str  # JSON, serialised once
    inputs: str
    inputs_hash: str
    pk: int | None = None


_COLUMNS = (
    "public_id",
    "user_id",
    "model_id",
    "score",
    "band",
    "pd",
    "reason_codes",
    "inputs",
    "inputs_hash",
    "trigger",
    "computed_at",
)


def _insert(rows: list[_NewScore], model, now) -> None:
    """Insert the new history rows and set their ids. PostgreSQL: one multi-row INSERT
    ... RETURNING through psycopg2 (no model instances: the nightly job's hot path);
    elsewhere the ORM's bulk_create."""
    trigger = CreditScore.Trigger.NIGHTLY
    if connection.vendor == "postgresql":
        from psycopg2.extras import execute_values

        statement = f"INSERT INTO {CreditScore._meta.db_table} ({', '.join(_COLUMNS)}) VALUES %s RETURNING id, user_id"  # noqa: S608
        values = [
            (
                uuid.uuid4(),
                r.user_id,
                model.pk,
                r.score,
                r.band,
                r.pd,
                r.reason_codes,
                r.inputs,
                r.inputs_hash,
                trigger,
                now,
            )
            for r in rows
        ]
        with connection.cursor() as cursor:
            ids = execute_values(cursor.cursor, statement, values, page_size=len(values), fetch=True)
        by_user = {user_id: pk for pk, user_id in ids}  # one row per customer in a batch
        for row in rows:
            row.pk = by_user[row.user_id]
        return
    created = CreditScore.objects.bulk_create(
        [
            CreditScore(
                user_id=r.user_id,
                model=model,
                score=r.score,
                band=r.band,
                pd=r.pd,
                reason_codes=json.loads(r.reason_codes),
                inputs=json.loads(r.inputs),
                inputs_hash=r.inputs_hash,
                trigger=trigger,
                computed_at=now,
            )
            for r in rows
        ]
    )
    for row, score in zip(rows, created, strict=True):
        row.pk = score.pk
