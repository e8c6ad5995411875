"""The runtime scorer: plain Python over a scorecard artifact (no pandas, no scikit-learn).

A scorecard gives every model feature a set of bins, each worth a whole number of points;
an applicant's score is the base points plus the points of the bin each answer falls in.

Points-to-odds scaling
----------------------
The score is a linear function of the log-odds of being good (repaying)::

    score = offset + factor * ln(odds_good)        factor = PDO / ln 2
                                                    offset = BASE_SCORE - factor * ln(BASE_ODDS)

with ``BASE_SCORE = 650`` at ``BASE_ODDS = 4`` (4 good : 1 bad, a 20 % probability of
default) and ``PDO = 50`` (every 50 points double the odds). So 550 points is 1:1
(PD 50 %), 580 is PD 40 %, 600 is 2:1 (PD 33 %), 700 is 8:1 (PD 11 %), 750 is 16:1
(PD 5.9 %), 800 is 32:1 (PD 3.0 %) and 850 is 64:1 (PD 1.5 %). The German Credit
applicants (30 % bad) then spread over roughly 400-840 (median about 620), most of
them in the "fair" and "good" bands. The artifact stores the scaling it was built with, and the
probability of default is computed from the unclamped total points with that scaling,
so PD and score always agree. The reported score is clamped to 300-850.

Bands: poor < 580, fair 580-669, good 670-739, very good 740-799, exceptional >= 800.

Reason codes: for every feature, the points lost are the points of that feature's best
bin minus the applicant's; the (up to) four features with the largest positive loss are
the reasons, costliest first (ties keep the artifact's feature order). Each feature has a
stable code (``RC01`` ...) with plain-language text and a hint on how to improve.

Speed: ``Scorecard`` compiles the artifact into dictionaries (categorical features) and
sorted bin edges (numeric features, ``bisect``); a score is a few dozen dictionary
look-ups. ``Scorecard.from_file`` caches scorecards by the sha256 of the file's bytes.
"""

import hashlib
import json
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from credit.exceptions import InvalidScoringInput, MissingAnswers

MIN_SCORE = 300
MAX_SCORE = 850
MAX_REASONS = 4

# (lowest score of the band, band), best first
BANDS: tuple[tuple[int, str], ...] = (
    (800, "exceptional"),
    (740, "very_good"),
    (670, "good"),
    (580, "fair"),
    (MIN_SCORE, "poor"),
)


def band_for(score: int) -> str:
    for lowest, band in BANDS:
        if score >= lowest:
            return band
    return "poor"


@dataclass(frozen=True)
class Scaling:
    base_score: int
    base_odds: float  # good : bad at base_score
    pdo: int  # points to double the odds

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def pd(self, total_points: float) -> float:
        """Probability of default (bad) at this many (unclamped) points."""
        log_odds_good = (total_points - self.offset) / self.factor
        if log_odds_good > 0:
            e = math.exp(-log_odds_good)
            return e / (1 + e)
        return 1 / (1 + math.exp(log_odds_good))

    def as_dict(self) -> dict:
        return {
            "base_score": self.base_score,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "factor": round(self.factor, 6),
            "offset": round(self.offset, 6),
            "formula": "score = offset + factor * ln(odds good:bad); factor = pdo / ln 2",
        }


SCALING = Scaling(base_score=650, base_odds=4, pdo=50)


@dataclass(frozen=True)
class ReasonInfo:
    code: str
    text: str
    hint: str


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    kind: str  # "categorical" | "numeric"
    categories: list[str]
    minimum: int | None
    maximum: int | None
    reason: ReasonInfo
    bins: list[dict] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True)
class ReasonCode:
    code: str
    feature: str
    text: str
    hint: str
    points_lost: int


@dataclass(frozen=True)
class ScoreResult:
    score: int
    band: str
    pd: Decimal
    reason_codes: list[ReasonCode]
    points: dict[str, int]


_PD_PLACES = Decimal("0.000001")
_CACHE: dict[str, "Scorecard"] = {}


class Scorecard:
    """A loaded artifact. Immutable once built; safe to share between threads."""

    def __init__(self, artifact: dict, *, sha256: str | None = None):
        self.artifact = artifact
        self.sha256 = sha256
        self.version: str = artifact["version"]
        s = artifact["scaling"]
        self.scaling = Scaling(base_score=s["base_score"], base_odds=s["base_odds"], pdo=s["pdo"])
        self.base_points: int = int(artifact["base_points"])
        self.cutoff: int | None = artifact.get("cutoff")
        self.metrics: dict = artifact.get("metrics", {})
        self.fairness: dict = artifact.get("fairness", {})
        self.trained_at: str | None = artifact.get("trained_at")
        self.training_data_sha256: str | None = artifact.get("training_data", {}).get("sha256")
        self.features: list[FeatureSpec] = []
        # compiled: (name, kind, lookup, reason, best points, min, max)
        self._compiled: list[tuple] = []
        self._pd_cache: dict[int, Decimal] = {}
        for f in artifact["features"]:
            reason = ReasonInfo(code=f["reason"]["code"], text=f["reason"]["text"], hint=f["reason"]["hint"])
            bins = f["bins"]
            points = [int(b["points"]) for b in bins]
            best = max(points)
            if f["kind"] == "categorical":
                lookup = {category: p for b, p in zip(bins, points, strict=True) for category in b["categories"]}
                categories = list(f.get("categories") or lookup)
                if set(categories) != set(lookup):
                    raise ValueError(f"{self.version}: {f['name']}: categories and bins disagree")
                spec = FeatureSpec(f["name"], "categorical", categories, None, None, reason, bins)
                self._compiled.append((f["name"], False, lookup, reason, best, None, None))
            elif f["kind"] == "numeric":
                edges = [b["upper"] for b in bins[:-1]]
                if edges != sorted(edges) or any(b["lower"] != e for b, e in zip(bins[1:], edges, strict=True)):
                    raise ValueError(f"{self.version}: {f['name']}: bin edges out of order")
                spec = FeatureSpec(f["name"], "numeric", [], f.get("minimum"), f.get("maximum"), reason, bins)
                lookup = (edges, points)
                self._compiled.append((f["name"], True, lookup, reason, best, f.get("minimum"), f.get("maximum")))
            else:
                raise ValueError(f"{self.version}: {f['name']}: unknown feature kind {f['kind']!r}")
            self.features.append(spec)
        self.feature_names: list[str] = [f.name for f in self.features]

    # --- loading -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, artifact: dict) -> "Scorecard":
        return cls(artifact)

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Scorecard":
        digest = hashlib.sha256(raw).hexdigest()
        card = _CACHE.get(digest)
        if card is None:
            card = _CACHE[digest] = cls(json.loads(raw), sha256=digest)
        return card

    @classmethod
    def from_file(cls, path: str | Path) -> "Scorecard":
        """Load (or reuse, by the file's sha256) the scorecard in ``path``."""
        return cls.from_bytes(Path(path).read_bytes())

    # --- scoring -------------------------------------------------------------------------

    def _invalid(self, name, value, spec_kind, extra):
        detail = f"{name}: {value!r} is not a value the model knows."
        return InvalidScoringInput(detail, extra={"feature": name, "value": str(value), **extra})

    def _points(self, name, numeric, lookup, value, minimum, maximum) -> int:
        if not numeric:
            try:
                return lookup[value]
            except (KeyError, TypeError):
                raise self._invalid(name, value, "categorical", {"allowed": list(lookup)}) from None
        if type(value) is not int:
            try:
                if isinstance(value, bool):
                    raise ValueError
                number = int(value.strip()) if isinstance(value, str) else int(value)
                if number != value and not isinstance(value, str):
                    raise ValueError
            except (TypeError, ValueError, AttributeError):
                raise self._invalid(
                    name, value, "numeric", {"allowed": "a whole number", "minimum": minimum, "maximum": maximum}
                ) from None
            value = number
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self._invalid(
                name, value, "numeric", {"allowed": "a whole number", "minimum": minimum, "maximum": maximum}
            )
        edges, points = lookup
        return points[bisect_right(edges, value)]

    def score(self, inputs: dict[str, Any]) -> ScoreResult:
        """Score one applicant. Keys are German Credit column names; extra keys are ignored."""
        total = self.base_points
        points: dict[str, int] = {}
        losses = []
        missing = None
        for name, numeric, lookup, reason, best, minimum, maximum in self._compiled:
            try:
                value = inputs[name]
            except KeyError:
                missing = [*(missing or []), name]
                continue
            if value is None:
                missing = [*(missing or []), name]
                continue
            p = self._points(name, numeric, lookup, value, minimum, maximum)
            points[name] = p
            total += p
            if p < best:
                losses.append((p - best, len(losses), name, reason))
        if missing:
            raise MissingAnswers("The score needs answers for: " + ", ".join(missing) + ".", extra={"missing": missing})
        losses.sort()
        reasons = [
            ReasonCode(code=r.code, feature=name, text=r.text, hint=r.hint, points_lost=-loss)
            for loss, _, name, r in losses[:MAX_REASONS]
        ]
        pd = self._pd_cache.get(total)
        if pd is None:
            pd = self._pd_cache[total] = Decimal(self.scaling.pd(total)).quantize(_PD_PLACES)
        score = MIN_SCORE if total < MIN_SCORE else MAX_SCORE if total > MAX_SCORE else total
        return ScoreResult(score=score, band=band_for(score), pd=pd, reason_codes=reasons, points=points)

    def score_many(self, inputs: list[dict[str, Any]]) -> list[ScoreResult]:
        score = self.score
        return [score(one) for one in inputs]

    def best_inputs(self) -> dict[str, str | int]:
        """An applicant in every feature's best bin (no reason codes): handy for tests and docs."""
        best = {}
        for f in self.features:
            top = max(f.bins, key=lambda b: b["points"])
            best[f.name] = top["categories"][0] if f.kind == "categorical" else (top["lower"] or f.minimum or 0)
        return best

    def __repr__(self) -> str:
        return f"<Scorecard {self.version} ({len(self.features)} features)>"
