"""The runtime scorer: points and scaling, bands, reason codes, validation, the committed artifact."""

import copy
import csv
import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from credit.exceptions import InvalidScoringInput, MissingAnswers
from credit.scoring.features import PROTECTED
from credit.scoring.scorecard import BANDS, SCALING, Scaling, Scorecard, band_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "credit" / "artifacts" / "scorecard-2026.11.1.json"
DATA = ROOT / "credit" / "data" / "german_credit_train.csv"


def tiny_artifact(base_points=600):
    """Two features: a categorical worth 0/-20/-50 and a numeric worth 30/10/-40."""
    return {
        "version": "tiny-1",
        "scaling": {"base_score": 650, "base_odds": 4, "pdo": 50},
        "base_points": base_points,
        "features": [
            {
                "name": "savings_account_and_bonds",
                "kind": "categorical",
                "categories": ["... < 100 DM", "100 <= ... < 500 DM", "... >= 1000 DM"],
                "bins": [
                    {"categories": ["... >= 1000 DM"], "points": 0},
                    {"categories": ["100 <= ... < 500 DM"], "points": -20},
                    {"categories": ["... < 100 DM"], "points": -50},
                ],
                "reason": {"code": "RC06", "text": "Savings", "hint": "Save more."},
            },
            {
                "name": "duration_in_month",
                "kind": "numeric",
                "minimum": 1,
                "maximum": 120,
                "bins": [
                    {"lower": None, "upper": 12, "points": 30},
                    {"lower": 12, "upper": 24, "points": 10},
                    {"lower": 24, "upper": None, "points": -40},
                ],
                "reason": {"code": "RC02", "text": "Duration", "hint": "Borrow for less long."},
            },
        ],
    }


def training_rows():
    with DATA.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def card():
    return Scorecard.from_file(ARTIFACT)


# --- bands and scaling -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (300, "poor"),
        (579, "poor"),
        (580, "fair"),
        (669, "fair"),
        (670, "good"),
        (739, "good"),
        (740, "very_good"),
        (799, "very_good"),
        (800, "exceptional"),
        (850, "exceptional"),
    ],
)
def test_band_boundaries(score, band):
    assert band_for(score) == band


def test_bands_are_ordered_best_first():
    assert [lowest for lowest, _ in BANDS] == sorted((lowest for lowest, _ in BANDS), reverse=True)


def test_scaling_anchors_650_at_4_to_1_and_doubles_odds_every_50_points():
    assert SCALING == Scaling(base_score=650, base_odds=4, pdo=50)
    assert SCALING.pd(650) == pytest.approx(0.2)  # odds 4:1
    assert SCALING.pd(600) == pytest.approx(1 / 3)  # 2:1
    assert SCALING.pd(700) == pytest.approx(1 / 9)  # 8:1
    assert SCALING.pd(550) == pytest.approx(0.5)  # 1:1
    assert SCALING.offset + SCALING.factor * math.log(4) == pytest.approx(650)


def test_score_is_base_plus_bin_points():
    card = Scorecard.from_dict(tiny_artifact())
    result = card.score({"savings_account_and_bonds": "100 <= ... < 500 DM", "duration_in_month": 12})
    assert result.points == {"savings_account_and_bonds": -20, "duration_in_month": 10}
    assert result.score == 590
    assert result.band == "fair"
    assert result.pd == Decimal(SCALING.pd(590)).quantize(Decimal("0.000001"))
    assert result.pd.as_tuple().exponent == -6


@pytest.mark.parametrize(("value", "points"), [(1, 30), (11, 30), (12, 10), (23, 10), (24, -40), (120, -40)])
def test_numeric_bin_edges_are_lower_inclusive(value, points):
    card = Scorecard.from_dict(tiny_artifact())
    assert (
        card.score({"savings_account_and_bonds": "... >= 1000 DM", "duration_in_month": value}).points[
            "duration_in_month"
        ]
        == points
    )


def test_score_is_clamped_to_300_850_but_pd_uses_the_unclamped_points():
    high = Scorecard.from_dict(tiny_artifact(base_points=900)).score(
        {"savings_account_and_bonds": "... >= 1000 DM", "duration_in_month": 6}
    )
    assert (high.score, high.band) == (850, "exceptional")
    assert high.pd == Decimal(SCALING.pd(930)).quantize(Decimal("0.000001"))
    low = Scorecard.from_dict(tiny_artifact(base_points=100)).score(
        {"savings_account_and_bonds": "... < 100 DM", "duration_in_month": 60}
    )
    assert (low.score, low.band) == (300, "poor")
    assert low.pd > Decimal("0.99")


# --- reason codes --------------------------------------------------------------------------


def test_reason_codes_are_costliest_first_with_points_lost():
    card = Scorecard.from_dict(tiny_artifact())
    result = card.score({"savings_account_and_bonds": "100 <= ... < 500 DM", "duration_in_month": 30})
    assert [(r.code, r.feature, r.points_lost) for r in result.reason_codes] == [
        ("RC02", "duration_in_month", 70),
        ("RC06", "savings_account_and_bonds", 20),
    ]
    assert result.reason_codes[0].hint == "Borrow for less long."


def test_no_reason_codes_for_the_best_bin_of_every_feature(card):
    result = card.score(card.best_inputs())
    assert result.reason_codes == []
    assert result.score == min(850, card.base_points + sum(max(b["points"] for b in f.bins) for f in card.features))


def test_committed_model_gives_at_most_four_reasons_costliest_first(card):
    for row in training_rows()[:200]:
        result = card.score(row)
        lost = [r.points_lost for r in result.reason_codes]
        assert len(lost) <= 4 and all(p > 0 for p in lost) and lost == sorted(lost, reverse=True)
        # no feature left out costs more than the last reason given
        losses = {f.name: max(b["points"] for b in f.bins) - result.points[f.name] for f in card.features}
        chosen = {r.feature for r in result.reason_codes}
        if lost:
            assert all(loss <= lost[-1] for name, loss in losses.items() if name not in chosen)
        for r in result.reason_codes:
            assert r.points_lost == losses[r.feature]


# --- input validation ---------------------------------------------------------------------


def test_missing_features_are_named():
    card = Scorecard.from_dict(tiny_artifact())
    with pytest.raises(MissingAnswers) as caught:
        card.score({"age_in_years": 40})
    assert caught.value.extra["missing"] == ["savings_account_and_bonds", "duration_in_month"]


def test_unknown_category_names_the_feature_and_allowed_values():
    card = Scorecard.from_dict(tiny_artifact())
    with pytest.raises(InvalidScoringInput) as caught:
        card.score({"savings_account_and_bonds": "lots", "duration_in_month": 12})
    assert caught.value.extra["feature"] == "savings_account_and_bonds"
    assert set(caught.value.extra["allowed"]) == {"... < 100 DM", "100 <= ... < 500 DM", "... >= 1000 DM"}


@pytest.mark.parametrize("value", [0, 121, "twelve", "", 12.5, True])
def test_bad_numbers_are_refused(value):
    card = Scorecard.from_dict(tiny_artifact())
    with pytest.raises(InvalidScoringInput) as caught:
        card.score({"savings_account_and_bonds": "... < 100 DM", "duration_in_month": value})
    assert caught.value.extra["feature"] == "duration_in_month"


def test_numeric_strings_from_csv_files_are_accepted():
    card = Scorecard.from_dict(tiny_artifact())
    assert card.score({"savings_account_and_bonds": "... < 100 DM", "duration_in_month": " 12"}).score == 560


# --- the committed artifact ------------------------------------------------------------------


def test_committed_artifact_never_uses_protected_attributes(card):
    names = {f.name for f in card.features}
    assert names and not names & set(PROTECTED)
    raw = json.loads(ARTIFACT.read_text())
    assert not {f["name"] for f in raw["features"]} & set(PROTECTED)
    assert set(raw["protected_attributes_excluded"]) == set(PROTECTED)


def test_protected_attributes_never_change_a_score(card):
    row = training_rows()[0]
    base = card.score(row)
    for changes in (
        {"personal_status_and_sex": "female : divorced/separated/married"},
        {"personal_status_and_sex": "male : single"},
        {"foreign_worker": "no"},
        {"foreign_worker": "yes"},
        {"age_in_years": 19},
        {"age_in_years": 75},
    ):
        assert card.score({**row, **changes}) == base
    stripped = {k: v for k, v in row.items() if k not in PROTECTED}
    assert card.score(stripped) == base


def test_numeric_bins_are_monotonic_as_trained():
    artifact = json.loads(ARTIFACT.read_text())
    numeric = [f for f in artifact["features"] if f["kind"] == "numeric"]
    assert numeric
    for f in artifact["features"]:
        woe = [b["woe"] for b in f["bins"]]
        bad_rates = [b["bad_rate"] for b in f["bins"]]
        if f["kind"] == "numeric":
            rising = all(a < b for a, b in zip(woe, woe[1:], strict=False))
            falling = all(a > b for a, b in zip(woe, woe[1:], strict=False))
            assert rising or falling, f["name"]
            lowers = [b["lower"] for b in f["bins"]]
            assert lowers[0] is None and lowers[1:] == sorted(lowers[1:])
        else:
            assert woe == sorted(woe, reverse=True), f["name"]
            assert sorted(c for b in f["bins"] for c in b["categories"]) == sorted(f["categories"])
        # more evidence of good, never fewer points (positive coefficients)
        assert [b["points"] for b in sorted(f["bins"], key=lambda b: b["woe"])] == sorted(
            b["points"] for b in f["bins"]
        ), f["name"]
        assert bad_rates  # recorded for the console


def test_committed_artifact_records_what_a_regulator_asks_for():
    artifact = json.loads(ARTIFACT.read_text())
    for key in ("version", "trained_at", "scaling", "cutoff", "features", "reason_codes", "metrics", "fairness"):
        assert key in artifact
    assert len(artifact["training_data"]["sha256"]) == 64
    assert {"numpy", "scikit-learn"} <= set(artifact["training"]["libraries"])
    for key in ("auc", "ks", "gini"):
        assert set(artifact["metrics"][key]) == {"mean", "std"}
    assert set(artifact["fairness"]["groups"]) == {"age", "sex"}


def _auc(scores, bad):
    """Probability that a random good outscores a random bad (ties count half)."""
    goods = [s for s, b in zip(scores, bad, strict=True) if not b]
    bads = [s for s, b in zip(scores, bad, strict=True) if b]
    wins = sum((g > b_) + 0.5 * (g == b_) for g in goods for b_ in bads)
    return wins / (len(goods) * len(bads))


def test_committed_artifact_scores_the_training_data_sanely(card):
    rows = training_rows()
    results = card.score_many(rows)
    auc = _auc([r.score for r in results], [row["creditability"] == "bad" for row in rows])
    print(f"AUC of {card.version} on its training rows: {auc:.4f}")
    assert auc > 0.7
    assert all(300 <= r.score <= 850 for r in results)
    assert len({r.band for r in results}) >= 4


def test_from_file_caches_by_content(card, tmp_path):
    assert Scorecard.from_file(ARTIFACT) is card
    copy_path = tmp_path / "copy.json"
    copy_path.write_bytes(ARTIFACT.read_bytes())
    assert Scorecard.from_file(copy_path) is card
    changed = copy.deepcopy(json.loads(ARTIFACT.read_text()))
    changed["version"] = "other"
    copy_path.write_text(json.dumps(changed))
    assert Scorecard.from_file(copy_path).version == "other"


def test_scoring_needs_neither_numpy_nor_pandas_nor_scikit_learn():
    code = (
        "import sys; from credit.scoring.scorecard import Scorecard; "
        f"Scorecard.from_file({str(ARTIFACT)!r}); "
        "bad = {'numpy', 'pandas', 'sklearn', 'scipy'} & set(sys.modules); "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
