"""Screening customers against the current watchlists.

Invariants:

- Every run records what it screened (name, date of birth, country and their hash), the
  list versions, the algorithm version and the threshold, and one hit per list entity
  at or above the threshold, all in one transaction.
- A hit on the same list entity (source + list id) for the same customer data that an
  officer dismissed before is stored as ``suppressed`` and opens no case; it is raised
  again as soon as the customer's data (or the entity's list id) differs.
- An entity already open or confirmed for the same data is recorded again with that
  status and keeps its case; only new hits open (or join) a case, through
  ``compliance.services.cases.case_open``.
- Dismissing and confirming are officer decisions: permission checked, never on one's
  own account, audited with the note (which also goes on the hit's case).

The engine (``compliance.screening``) is pure; the index over the current versions is
built once per process and rebuilt when a new version is imported (its cache key is the
version ids).
"""

import hashlib
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore.exceptions import Conflict, PermissionDenied
from compliance.models import CaseNote, KycSubmission, ScreeningHit, ScreeningResult, WatchlistEntry
from compliance.screening import ALGORITHM_VERSION, ListRecord, Match, Query, ScreeningIndex, iso_dob
from compliance.services.cases import case_open
from compliance.services.watchlists import current_versions

logger = logging.getLogger(__name__)

CUSTOMER_ENTITY_TYPES = ("individual", "entity")  # customers are people: vessels and aircraft are not
BATCH_SIZE = 5000

_index_lock = threading.Lock()
_index_cache: dict = {"key": None, "index": None}


# --- the index over the current list versions -------------------------------------------


def _version_key(versions) -> tuple:
    return tuple(
        sorted((source, version.pk, version.checksum, version.imported_at) for source, version in versions.items())
    )


def current_index() -> tuple[ScreeningIndex | None, dict[str, int]]:
    """The index over the latest version of every source, and {source: version id}.

    Built on first use and whenever the set of latest versions changes."""
    versions = current_versions()
    key = _version_key(versions)
    if not key:
        return None, {}
    with _index_lock:
        if _index_cache["key"] != key:
            _index_cache["index"] = build_index([version.pk for version in versions.values()])
            _index_cache["key"] = key
        return _index_cache["index"], {source: version.pk for source, version in versions.items()}


def build_index(version_ids) -> ScreeningIndex:
    rows = (
        WatchlistEntry.objects.filter(version_id__in=version_ids)
        .order_by("id")
        .values_list(
            "id",
            "version__source",
            "list_id",
            "entity_type",
            "name",
            "aliases",
            "dates_of_birth",
            "nationalities",
            "countries",
        )
    )
    records = (
        ListRecord(
            key=pk,
            source=source,
            list_id=list_id,
            entity_type=entity_type,
            names=(name, *aliases),
            dates_of_birth=tuple(dobs),
            countries=frozenset(c for c in [*nationalities, *countries] if len(c) == 2),
        )
        for pk, source, list_id, entity_type, name, aliases, dobs, nationalities, countries in rows.iterator(
            chunk_size=5000
        )
    )
    return ScreeningIndex(records, label=",".join(str(v) for v in sorted(version_ids)))


def threshold() -> float:
    return float(settings.SCREENING_THRESHOLD)


# --- the customer's data -----------------------------------------------------------------


@dataclass(frozen=True)
class CustomerData:
    name: str
    dob: str
    country: str

    @property
    def data_hash(self) -> str:
        payload = json.dumps([" ".join(self.name.casefold().split()), self.dob, self.country.upper()])
        return hashlib.sha256(payload.encode()).hexdigest()

    def query(self) -> Query:
        return Query(name=self.name, dob=self.dob or None, country=self.country or None)


def customer_data(user) -> CustomerData:
    """The identity to screen: the latest KYC submission's legal name, date of birth and
    nationality if there is one, else the account's name and the profile's date of
    birth and country."""
    submission = (
        KycSubmission.objects.filter(user=user)
        .order_by("-submitted_at", "-id")
        .only("legal_name", "date_of_birth", "nationality")
        .first()
    )
    if submission is not None:
        return CustomerData(submission.legal_name, iso_dob(submission.date_of_birth) or "", submission.nationality)
    profile = getattr(user, "profile", None) if _has_profile(user) else None
    return CustomerData(
        f"{user.first_name} {user.last_name}".strip(),
        iso_dob(getattr(profile, "date_of_birth", None)) or "",
        str(getattr(profile, "country", "") or ""),
    )


def _has_profile(user) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        user.profile  # noqa: B018
    except ObjectDoesNotExist:
        return False
    return True


# --- one customer -------------------------------------------------------------------------


def screen_customer(*, user, trigger: str, name=None, dob=None, country=None) -> ScreeningResult:
    """Screen ``user`` (their current data unless ``name``/``dob``/``country`` are
    given) against the latest list versions; record the result and its hits, and open
    or join a case for new hits. Without any imported list the result records that
    nothing was screened against (empty ``list_versions``)."""
    if trigger not in ScreeningResult.Trigger.values:
        raise ValueError(f"Unknown screening trigger {trigger!r}")
    data = customer_data(user)
    if name is not None or dob is not None or country is not None:
        data = CustomerData(
            name if name is not None else data.name,
            iso_dob(dob) or "" if dob is not None else data.dob,
            country if country is not None else data.country,
        )
    index, versions = current_index()
    if index is None:
        logger.warning("screening without any imported watchlist", extra={"user": user.pk})
    limit = threshold()
    matches = (
        index.screen(data.query(), threshold=limit, entity_types=CUSTOMER_ENTITY_TYPES)
        if index is not None and data.name
        else []
    )
    with transaction.atomic():
        results, counts = _record(
            [(user.pk, data, matches)],
            trigger=trigger,
            versions=versions,
            limit=limit,
            now=timezone.now(),
            users={user.pk: user},
            audit_hits=True,
        )
    return results[0]


def _prior_decisions(keys: set[tuple]) -> dict[tuple, ScreeningHit]:
    """The latest earlier hit per (user, source, list id, data hash) among ``keys``."""
    if not keys:
        return {}
    users = {key[0] for key in keys}
    found: dict[tuple, ScreeningHit] = {}
    hits = (
        ScreeningHit.objects.filter(user_id__in=users)
        .exclude(status=ScreeningHit.Status.SUPPRESSED)
        .order_by("id")
        .only("id", "user_id", "list_source", "list_id", "data_hash", "status", "case_id")
    )
    for hit in hits.iterator(chunk_size=2000):
        key = (hit.user_id, hit.list_source, hit.list_id, hit.data_hash)
        if key in keys:
            found[key] = hit  # ascending ids: the last one wins
    return found


def _record(
    screened, *, trigger: str, versions: dict, limit: float, now, users=None, audit_hits: bool = False
) -> tuple[list[ScreeningResult], dict]:
    """Write results and hits for ``[(user id, CustomerData, [Match])]`` in bulk; open
    cases (each audited by ``case_open``; ``audit_hits`` adds a ``screening.hits_raised``
    event per result, which the rescan leaves to its one summary event)."""
    results = ScreeningResult.objects.bulk_create(
        [
            ScreeningResult(
                user_id=user_id,
                trigger=trigger,
                screened_name=data.name[:300],
                screened_dob=data.dob[:10],
                screened_country=data.country[:2],
                data_hash=data.data_hash,
                list_versions=versions,
                algorithm_version=ALGORITHM_VERSION,
                threshold=Decimal(str(limit)).quantize(Decimal("0.0001")),
                hit_count=len(matches),
                screened_at=now,
            )
            for user_id, data, matches in screened
        ],
        batch_size=2000,
    )
    counts = {"results": len(results), "hits": 0, "new_hits": 0, "suppressed": 0, "repeated": 0, "cases": 0}
    keys = {
        (user_id, match.source, match.list_id, data.data_hash)
        for user_id, data, matches in screened
        for match in matches
    }
    prior = _prior_decisions(keys)
    hits: list[ScreeningHit] = []
    new_by_user: dict[int, list[ScreeningHit]] = defaultdict(list)
    for result, (user_id, data, matches) in zip(results, screened, strict=True):
        for match in matches:
            earlier = prior.get((user_id, match.source, match.list_id, data.data_hash))
            hit = _hit(result, user_id, data, match)
            if earlier is None:
                new_by_user[user_id].append(hit)
            elif earlier.status == ScreeningHit.Status.DISMISSED:
                hit.status = ScreeningHit.Status.SUPPRESSED
                hit.explanation["dismissed_hit"] = earlier.pk
                counts["suppressed"] += 1
            else:  # still open, or confirmed: recorded again, on the case it is on
                hit.status = earlier.status
                hit.case_id = earlier.case_id
                hit.explanation["earlier_hit"] = earlier.pk
                counts["repeated"] += 1
            hits.append(hit)
    ScreeningHit.objects.bulk_create(hits, batch_size=2000)
    counts["hits"] = len(hits)
    missing = set(new_by_user) - set(users or {})
    users = {**(users or {}), **(get_user_model().objects.in_bulk(missing) if missing else {})}
    for user_id, new_hits in new_by_user.items():
        counts["new_hits"] += len(new_hits)
        top = max(new_hits, key=lambda h: h.score)
        summary = (
            f"Screening ({trigger}): {top.result.screened_name} ~ {top.matched_name} "
            f"({top.list_source.upper()} {top.list_id}, score {top.score}); {len(new_hits)} new hit(s)"
        )
        case_open(subject=users[user_id], kind="screening", summary=summary, hits=new_hits)
        counts["cases"] += 1
        if not audit_hits:
            continue
        audit_event_record(
            action="screening.hits_raised",
            actor=None,
            target=top.result,
            metadata={
                "trigger": trigger,
                "hits": [hit.pk for hit in new_hits],
                "entities": [f"{hit.list_source}:{hit.list_id}" for hit in new_hits],
                "list_versions": versions,
                "algorithm_version": ALGORITHM_VERSION,
            },
        )
    return results, counts


def _hit(result: ScreeningResult, user_id: int, data: CustomerData, match: Match) -> ScreeningHit:
    return ScreeningHit(
        result=result,
        user_id=user_id,
        entry_id=match.key,
        list_source=match.source,
        list_id=match.list_id,
        matched_name=match.matched_name[:500],
        score=Decimal(str(match.score)).quantize(Decimal("0.0001")),
        explanation=match.explanation(),
        data_hash=data.data_hash,
        status=ScreeningHit.Status.OPEN,
    )


# --- officer decisions -----------------------------------------------------------------------


def _decide(*, hit: ScreeningHit, actor, note: str, status: str, action: str) -> ScreeningHit:
    if not actor.has_perm("compliance.change_screeninghit"):
        raise PermissionDenied("Only compliance officers decide screening hits.")
    if hit.user_id == actor.pk:
        raise PermissionDenied("An officer cannot decide a screening hit on their own account.")
    with transaction.atomic():
        hit = ScreeningHit.objects.select_for_update().get(pk=hit.pk)
        if hit.status != ScreeningHit.Status.OPEN:
            raise Conflict(f"This hit is {hit.get_status_display().lower()}, not open.", code="hit_not_open")
        before = hit.status
        hit.status = status
        hit.decided_by = actor
        hit.decided_at = timezone.now()
        hit.save(update_fields=["status", "decided_by", "decided_at"])
        if hit.case_id and note:
            CaseNote.objects.create(
                case_id=hit.case_id,
                author=actor,
                text=f"Hit {hit.list_source.upper()} {hit.list_id} ({hit.matched_name}) {status}: {note}",
            )
        audit_event_record(
            action=action,
            actor=actor,
            target=hit,
            changes={"status": {"before": before, "after": status}},
            metadata={
                "note": note,
                "user": hit.user_id,
                "entity": f"{hit.list_source}:{hit.list_id}",
                "data_hash": hit.data_hash,
                "case": hit.case_id,
            },
        )
    return hit


def hit_dismiss(*, hit: ScreeningHit, actor, note: str) -> ScreeningHit:
    """Not the same person: this entity is not raised again for the same customer data."""
    status = ScreeningHit.Status.DISMISSED
    return _decide(hit=hit, actor=actor, note=note, status=status, action="screening.hit_dismissed")


def hit_confirm(*, hit: ScreeningHit, actor, note: str) -> ScreeningHit:
    """The customer is the listed party (the case then decides what follows)."""
    status = ScreeningHit.Status.CONFIRMED
    return _decide(hit=hit, actor=actor, note=note, status=status, action="screening.hit_confirmed")


# --- every customer ----------------------------------------------------------------------------


def _customers_batch(user_ids: list[int]) -> list[tuple[int, CustomerData]]:
    """(user id, data) of each customer: the latest KYC submission, else account and profile."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list("id", "first_name", "last_name", "profile__date_of_birth", "profile__country")
    )
    accounts = {row[0]: row[1:] for row in rows}
    latest: dict[int, tuple] = {}
    submissions = (
        KycSubmission.objects.filter(user_id__in=user_ids)
        .order_by("user_id", "submitted_at", "id")
        .values_list("user_id", "legal_name", "date_of_birth", "nationality")
    )
    for user_id, legal_name, dob, nationality in submissions:
        latest[user_id] = (legal_name, dob, nationality)  # ascending: the last is the latest
    out = []
    for user_id in user_ids:
        if user_id in latest:
            legal_name, dob, nationality = latest[user_id]
            out.append((user_id, CustomerData(legal_name, iso_dob(dob) or "", nationality or "")))
        elif user_id in accounts:
            first, last, dob, country = accounts[user_id]
            out.append((user_id, CustomerData(f"{first} {last}".strip(), iso_dob(dob) or "", str(country or ""))))
    return out


def rescan_all(*, trigger: str, batch_size: int = BATCH_SIZE) -> dict:
    """Screen every active customer against the latest lists (the rescan job).

    Customers are read in batches by id; each batch is screened through the engine's
    batch path and its results and hits are written in bulk in one transaction."""
    index, versions = current_index()
    counts = {"customers": 0, "screened": 0, "with_hits": 0, "hits": 0, "new_hits": 0, "suppressed": 0, "cases": 0}
    if index is None:
        counts["skipped"] = "no watchlist imported"
        return counts
    limit = threshold()
    User = get_user_model()
    ids = list(User.objects.filter(is_active=True, is_staff=False).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = _customers_batch(ids[start : start + batch_size])
        counts["customers"] += len(batch)
        screenable = [(user_id, data) for user_id, data in batch if data.name]
        answers = index.screen_many(
            [data.query() for _, data in screenable], threshold=limit, entity_types=CUSTOMER_ENTITY_TYPES
        )
        screened = [(user_id, data, matches) for (user_id, data), matches in zip(screenable, answers, strict=True)]
        with transaction.atomic():
            _, written = _record(screened, trigger=trigger, versions=versions, limit=limit, now=timezone.now())
        counts["screened"] += len(screened)
        counts["with_hits"] += sum(1 for *_, matches in screened if matches)
        for key in ("hits", "new_hits", "suppressed", "cases"):
            counts[key] += written[key]
    audit_event_record(
        action="screening.rescan",
        actor=None,
        target_type="compliance.screeningresult",
        target_id="rescan",
        metadata={
            "trigger": trigger,
            "list_versions": versions,
            "algorithm_version": ALGORITHM_VERSION,
            "threshold": limit,
            **counts,
        },
    )
    return counts
