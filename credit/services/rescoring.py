"""Nightly rescoring: every customer with survey answers, in batches with bulk writes.

For each batch of customers (ids in ascending order): their current answers, platform
inputs and latest score are read in a few queries, each customer is scored with the
champion, and a history row is written only when the inputs or the model changed since
their last score. New rows, alerts and milestones are bulk-inserted in one transaction
per batch; alert e-mails are queued after that commit. Running it twice in a night
writes nothing the second time.
"""

import io
import json
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from blockscore.queue import enqueue
from credit import selectors
from credit.features import platform_features_many
from credit.models import CreditScore, ScoreAlert, ScoreMilestone, SurveyAnswer
from credit.services.scores import alert_kind, alert_message, is_milestone, reason_dict

BATCH_SIZE = 2000


def _registry():
    from credit.services import registry

    return registry


def rescore_all(*, batch_size: int = BATCH_SIZE, workers: int | None = None, now=None) -> dict:
    """Rescore every customer who has answered the survey. Returns counts for the JobRun.

    Batches run on ``workers`` threads (NIGHTLY_RESCORE_WORKERS; one on SQLite, whose
    writers queue anyway), each with its own database connection: while one thread
    scores in Python, another's batch is being written by the database."""
    model, scorecard = _registry().champion_scorecard()
    now = now or timezone.now()
    counts = {"customers": 0, "rescored": 0, "unchanged": 0, "incomplete": 0, "alerts": 0, "milestones": 0}
    user_ids = list(
        SurveyAnswer.objects.filter(superseded_at__isnull=True, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    batches = [user_ids[start : start + batch_size] for start in range(0, len(user_ids), batch_size)]
    if workers is None:
        workers = 1 if connection.vendor == "sqlite" else settings.NIGHTLY_RESCORE_WORKERS
    if workers <= 1 or len(batches) <= 1:
        for batch in batches:
            _rescore_batch(batch, model, scorecard, now, counts)
        return counts
    lock = threading.Lock()

    def run(batch: list[int]) -> None:
        mine = dict.fromkeys(counts, 0)
        try:
            _rescore_batch(batch, model, scorecard, now, mine)
        finally:
            connection.close()  # this thread's connection
        with lock:
            for name, value in mine.items():
                counts[name] += value

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rescore") as pool:
        for future in [pool.submit(run, batch) for batch in batches]:
            future.result()  # the first failure stops the job (and is recorded by run_job)
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
        rows.append(
            _NewScore(
                user_id=user_id,
                score=result.score,
                band=result.band,
                pd=result.pd,
                reason_codes="[" + ",".join(_reason_json(reason) for reason in result.reason_codes) + "]",
                inputs="{" + ",".join(_input_json(name, value, sources[name]) for name, value in inputs.items()) + "}",
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


_FRAGMENTS: dict[tuple, str] = {}  # JSON pieces that repeat across customers


def _fragment(key: tuple, build) -> str:
    text = _FRAGMENTS.get(key)
    if text is None:
        if len(_FRAGMENTS) > 100_000:
            _FRAGMENTS.clear()
        text = _FRAGMENTS[key] = build()
    return text


def _reason_json(reason) -> str:
    """One reason code as stored (``scores.reason_dict``), serialised once per distinct value."""
    return _fragment(
        ("reason", reason.code, reason.feature, reason.points_lost, reason.text, reason.hint),
        lambda: json.dumps(reason_dict(reason), separators=(",", ":")),
    )


def _input_json(name: str, value, source: str) -> str:
    return _fragment(
        ("input", name, value, source),
        lambda: json.dumps(name) + ":" + json.dumps({"value": value, "source": source}, separators=(",", ":")),
    )


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


def _copy_text(value: str) -> str:
    """A value for COPY's text format (JSON from json.dumps: no raw newlines or tabs)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert(rows: list[_NewScore], model, now) -> None:
    """Insert the new history rows and set their ids. PostgreSQL: ids drawn from the
    sequence, then one COPY (no model instances, no per-row SQL: the nightly job's hot
    path); elsewhere the ORM's bulk_create."""
    trigger = CreditScore.Trigger.NIGHTLY
    if connection.vendor == "postgresql":
        table = CreditScore._meta.db_table
        with connection.cursor() as cursor:
            # Ids first (the rows' alerts and milestones point at them), then one COPY.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
            )
            for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = pk
            at = now.isoformat()
            lines = "".join(
                f"{r.pk}\t{uuid.uuid4()}\t{r.user_id}\t{model.pk}\t{r.score}\t{r.band}\t{r.pd}\t"
                f"{_copy_text(r.reason_codes)}\t{_copy_text(r.inputs)}\t{r.inputs_hash}\t{trigger}\t{at}\n"
                for r in rows
            )
            cursor.cursor.copy_expert(f"COPY {table} (id, {', '.join(_COLUMNS)}) FROM STDIN", io.StringIO(lines))
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
