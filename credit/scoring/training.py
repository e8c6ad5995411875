"""Training the points scorecard (numpy and scikit-learn; never needed to score).

The recipe, applied identically inside every cross-validation fold and once on all rows
for the shipped model:

1. Monotonic binning with weight of evidence for every candidate feature
   (``credit.scoring.binning``); protected attributes are never candidates.
2. Features whose information value is below ``min_iv`` are dropped.
3. An L2-regularised logistic regression of good/bad on the WoE values; a feature whose
   coefficient comes out non-positive (it would reward a worse bin) is dropped and the
   regression refitted, so every feature's points rise with its WoE.
4. Points: ``factor * coefficient * woe`` per bin, rounded to whole points, plus base
   points ``offset + factor * intercept`` (see ``credit.scoring.scorecard`` for the scale).

Cross-validation is repeated stratified k-fold; the reported AUC, KS and Gini are those of
the rounded points scorecard on each held-out fold (mean and standard deviation over all
folds and repeats). Fairness uses the excluded attributes on out-of-fold scores.
"""

import csv
import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import RepeatedStratifiedKFold

from credit.scoring import binning as binning_module
from credit.scoring.features import BAD, CANDIDATE_FEATURES, PROTECTED, REASONS, TARGET
from credit.scoring.scorecard import SCALING, Scorecard

ARTIFACT_FORMAT = 1
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "german_credit_train.csv"
DEFAULT_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Applicants scoring at least this are approved by default: the bottom of the "fair" band.
DEFAULT_CUTOFF = 580


@dataclass(frozen=True)
class TrainingConfig:
    min_bin_share: float = 0.05
    max_prebins: int = 20
    max_bins: int = 6
    min_iv: float = 0.02
    regularisation_c: float = 0.1
    folds: int = 5
    cv_repeats: int = 10
    seed: int = 20261101
    cutoff: int = DEFAULT_CUTOFF


@dataclass
class Dataset:
    rows: list[dict[str, str]]
    y_bad: np.ndarray
    sha256: str
    path: Path

    def column(self, name: str, index=None):
        values = [row[name] for row in self.rows] if index is None else [self.rows[i][name] for i in index]
        if CANDIDATE_FEATURES.get(name, {}).get("kind") == "numeric" or name == "age_in_years":
            return np.array([int(v) for v in values])
        return np.array(values, dtype=object)


def load_dataset(path: Path = DEFAULT_DATA) -> Dataset:
    raw = Path(path).read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    missing = [c for c in [*CANDIDATE_FEATURES, *PROTECTED, TARGET] if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"{path}: not German Credit data (missing columns: {missing or 'all rows'})")
    y_bad = np.array([1 if row[TARGET] == BAD else 0 for row in rows])
    return Dataset(rows=rows, y_bad=y_bad, sha256=hashlib.sha256(raw).hexdigest(), path=Path(path))


# --- fitting -------------------------------------------------------------------------------


@dataclass
class FittedScorecard:
    binnings: list[binning_module.Binning]
    coefficients: list[float]
    intercept: float
    dropped: dict[str, str]

    def points_table(self) -> tuple[int, list[list[int]]]:
        factor, offset = SCALING.factor, SCALING.offset
        base = round(offset + factor * self.intercept)
        table = [
            [round(factor * beta * w) for w in b.woe] for b, beta in zip(self.binnings, self.coefficients, strict=True)
        ]
        return base, table

    def score(self, data: Dataset, index=None) -> np.ndarray:
        """Integer scores (unclamped total points) of the rows, as the shipped card computes them."""
        base, table = self.points_table()
        n = len(data.rows) if index is None else len(index)
        total = np.full(n, base)
        for b, points in zip(self.binnings, table, strict=True):
            total = total + np.asarray(points)[b.bin_index(data.column(b.name, index))]
        return total


def fit_scorecard(data: Dataset, index: np.ndarray, config: TrainingConfig) -> FittedScorecard:
    y_bad = data.y_bad[index]
    binnings, dropped = [], {}
    for name, spec in CANDIDATE_FEATURES.items():
        x = data.column(name, index)
        if spec["kind"] == "numeric":
            b = binning_module.bin_numeric(
                name,
                x,
                y_bad,
                min_bin_share=config.min_bin_share,
                max_prebins=config.max_prebins,
                max_bins=config.max_bins,
            )
        else:
            b = binning_module.bin_categorical(
                name, x, y_bad, spec["categories"], min_bin_share=config.min_bin_share, max_bins=config.max_bins
            )
        if len(b.woe) < 2 or b.iv < config.min_iv:
            dropped[name] = f"information value {b.iv:.3f} below {config.min_iv}"
            continue
        binnings.append(b)
    y_good = 1 - y_bad
    while True:
        x = np.column_stack([b.transform(data.column(b.name, index)) for b in binnings])
        model = LogisticRegression(C=config.regularisation_c, max_iter=1000)
        model.fit(x, y_good)
        coefficients = model.coef_[0]
        if (coefficients > 0).all():
            break
        worst = int(np.argmin(coefficients))
        dropped[binnings[worst].name] = f"non-positive coefficient {coefficients[worst]:.3f} in the regression"
        del binnings[worst]
    return FittedScorecard(
        binnings=binnings,
        coefficients=[float(c) for c in coefficients],
        intercept=float(model.intercept_[0]),
        dropped=dropped,
    )


# --- evaluation ----------------------------------------------------------------------------


def discrimination(y_bad: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUC, Gini and KS of a score where higher means less risky."""
    auc = float(roc_auc_score(y_bad, -scores))
    fpr, tpr, _ = roc_curve(y_bad, -scores)
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float(np.max(tpr - fpr))}


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values, ddof=1)), 4)}


def sex_of(personal_status_and_sex: str) -> str:
    """'female : divorced/separated/married' -> 'female'."""
    return personal_status_and_sex.split(":", 1)[0].strip()


def fairness_report(data: Dataset, scores: np.ndarray, cutoff: int) -> dict:
    """Approval rates at the cut-off and adverse impact ratios (protected / reference group).

    ``scores`` may hold several scorings of every row (one per cross-validation repeat):
    shape (repeats, rows); rates are averaged over them.
    """
    scores = np.atleast_2d(scores)
    approved = scores >= cutoff
    ages = data.column("age_in_years")
    sexes = np.array([sex_of(row["personal_status_and_sex"]) for row in data.rows])
    groups = {
        "age": {"protected": ("under_25", ages < 25), "reference": ("25_and_over", ages >= 25)},
        "sex": {"protected": ("female", sexes == "female"), "reference": ("male", sexes == "male")},
    }
    report = {"cutoff": cutoff, "approval_rate": round(float(approved.mean()), 4), "groups": {}}
    for attribute, pair in groups.items():
        rates = {}
        for role, (label, mask) in pair.items():
            rates[role] = {
                "group": label,
                "count": int(mask.sum()),
                "approval_rate": round(float(approved[:, mask].mean()), 4),
                "bad_rate": round(float(data.y_bad[mask].mean()), 4),
            }
        ratio = rates["protected"]["approval_rate"] / rates["reference"]["approval_rate"]
        report["groups"][attribute] = {
            **rates,
            "adverse_impact_ratio": round(ratio, 4),
            "passes_four_fifths_rule": ratio >= 0.8,
        }
    return report


def cross_validate(data: Dataset, config: TrainingConfig) -> tuple[dict, np.ndarray]:
    """Repeated stratified k-fold; every fold bins and fits on its own training part only."""
    splitter = RepeatedStratifiedKFold(n_splits=config.folds, n_repeats=config.cv_repeats, random_state=config.seed)
    folds = {"auc": [], "gini": [], "ks": []}
    out_of_fold = np.zeros((config.cv_repeats, len(data.rows)), dtype=int)
    everything = np.arange(len(data.rows))
    for k, (train, test) in enumerate(splitter.split(everything, data.y_bad)):
        fitted = fit_scorecard(data, train, config)
        scores = fitted.score(data, test)
        out_of_fold[k // config.folds, test] = scores
        for key, value in discrimination(data.y_bad[test], scores).items():
            folds[key].append(value)
    metrics = {
        "method": f"repeated stratified {config.folds}-fold cross-validation x {config.cv_repeats} repeats; "
        "binning, feature selection and regression fitted inside each fold; rounded points scored",
        "folds": config.folds,
        "repeats": config.cv_repeats,
        **{key: _summary(values) for key, values in folds.items()},
    }
    return metrics, out_of_fold


# --- the artifact --------------------------------------------------------------------------


def _bin_label_numeric(lower, upper) -> str:
    if lower is None:
        return f"< {upper}"
    if upper is None:
        return f">= {lower}"
    return f"{lower} to {upper - 1}" if upper - lower > 1 else f"{lower}"


def build_artifact(data: Dataset, fitted: FittedScorecard, config: TrainingConfig, *, version, metrics, fairness):
    base, table = fitted.points_table()
    features = []
    for b, beta, points in zip(fitted.binnings, fitted.coefficients, table, strict=True):
        spec = CANDIDATE_FEATURES[b.name]
        bins = []
        for i, (count, bad, woe, p) in enumerate(zip(b.counts, b.bads, b.woe, points, strict=True)):
            entry = {"points": p, "woe": round(woe, 6), "count": count, "bad_rate": round(bad / count, 4)}
            if b.kind == "numeric":
                lower = b.cuts[i - 1] if i else None
                upper = b.cuts[i] if i < len(b.cuts) else None
                entry = {"label": _bin_label_numeric(lower, upper), "lower": lower, "upper": upper, **entry}
            else:
                # categories keep their display order inside a bin
                members = [c for c in spec["categories"] if c in b.groups[i]]
                entry = {"label": " | ".join(members), "categories": members, **entry}
            bins.append(entry)
        feature = {
            "name": b.name,
            "kind": b.kind,
            "coefficient": round(beta, 6),
            "information_value": round(b.iv, 4),
            "trend": "bad rate "
            + ("rises" if b.trend == "ascending" else "falls")
            + (" with the value" if b.kind == "numeric" else " from bin to bin"),
            "bins": bins,
            "reason": REASONS[b.name],
        }
        if b.kind == "numeric":
            feature |= {"minimum": spec["minimum"], "maximum": spec["maximum"]}
        else:
            feature["categories"] = list(spec["categories"])
        features.append(feature)
    return {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "kind": "points scorecard (monotonic WoE binning + logistic regression)",
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "training_data": {
            "file": data.path.name,
            "sha256": data.sha256,
            "rows": len(data.rows),
            "bad_rate": round(float(data.y_bad.mean()), 4),
            "target": f"{TARGET} (bad = default)",
        },
        "protected_attributes_excluded": list(PROTECTED),
        "scaling": SCALING.as_dict(),
        "base_points": base,
        "intercept": round(fitted.intercept, 6),
        "cutoff": config.cutoff,
        "features": features,
        "dropped_features": fitted.dropped,
        "reason_codes": {REASONS[name]["code"]: {"feature": name, **REASONS[name]} for name in REASONS},
        "metrics": metrics,
        "fairness": fairness,
        "training": {
            "config": config.__dict__,
            "python": platform.python_version(),
            "libraries": {
                name: importlib.metadata.version(name) for name in ("numpy", "scikit-learn", "scipy", "Django")
            },
        },
    }


def train(
    *, data_path: Path = DEFAULT_DATA, version: str, config: TrainingConfig = TrainingConfig(), progress=None
) -> dict:
    """Train on all rows, cross-validate, and return the artifact (a JSON-ready dict)."""
    say = progress or (lambda message: None)
    data = load_dataset(data_path)
    say(f"{len(data.rows)} rows, bad rate {data.y_bad.mean():.3f}, sha256 {data.sha256[:12]}")
    metrics, out_of_fold = cross_validate(data, config)
    fitted = fit_scorecard(data, np.arange(len(data.rows)), config)
    in_sample = discrimination(data.y_bad, fitted.score(data))
    metrics["training_sample"] = {k: round(v, 4) for k, v in in_sample.items()} | {
        "note": "the final model on the rows it was fitted on (optimistic; for reference only)"
    }
    fairness = {
        "basis": "out-of-fold scores of the cross-validation (each applicant scored by models that did not see them)",
        **fairness_report(data, out_of_fold, config.cutoff),
        "final_model_on_training_data": fairness_report(data, fitted.score(data), config.cutoff),
    }
    artifact = build_artifact(data, fitted, config, version=version, metrics=metrics, fairness=fairness)
    Scorecard.from_dict(artifact)  # it must load
    return artifact


def write_artifact(artifact: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(artifact, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
