"""Training: monotonic binning, honest cross-validation, fairness, and no protected inputs."""

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from credit.models import ScoringModel
from credit.scoring import binning, training
from credit.scoring.features import PROTECTED
from credit.scoring.scorecard import Scorecard

DATA = training.DEFAULT_DATA


def test_numeric_binning_is_monotonic_with_minimum_bin_size():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 100, size=2000)
    y_bad = (rng.random(2000) < 0.1 + 0.5 * (x / 100)).astype(int)  # risk rises with x
    b = binning.bin_numeric("x", x, y_bad, min_bin_share=0.05)
    rates = [bad / n for bad, n in zip(b.bads, b.counts, strict=True)]
    assert b.trend == "ascending"
    assert rates == sorted(rates) and len(set(rates)) == len(rates)
    assert min(b.counts) >= 0.05 * len(x)
    assert b.woe == sorted(b.woe, reverse=True)
    assert sum(b.counts) == len(x)


def test_categorical_binning_merges_rare_and_unseen_categories():
    values = ["a"] * 400 + ["b"] * 400 + ["c"] * 5
    y_bad = [0] * 360 + [1] * 40 + [0] * 200 + [1] * 200 + [1] * 5
    b = binning.bin_categorical("f", values, y_bad, ["a", "b", "c", "never"], min_bin_share=0.05)
    assert sorted(c for group in b.groups for c in group) == ["a", "b", "c", "never"]
    assert all(n >= 0.05 * len(values) for n in b.counts)
    assert b.woe == sorted(b.woe, reverse=True)
    assert b.transform(["never"]).shape == (1,)


def test_sex_is_parsed_from_personal_status_and_sex():
    assert training.sex_of("female : divorced/separated/married") == "female"
    assert training.sex_of("male : single") == "male"


def test_training_is_deterministic_for_a_seed():
    config = training.TrainingConfig(cv_repeats=1)
    first = training.train(version="t-1", config=config)
    second = training.train(version="t-1", config=config)
    first.pop("trained_at"), second.pop("trained_at")
    assert first == second


def test_protected_columns_are_never_read_by_the_model(tmp_path):
    """Shuffle the protected columns: the bins and points must not move."""
    with DATA.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    rng = random.Random(7)
    for name in PROTECTED:
        values = [row[name] for row in rows]
        rng.shuffle(values)
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    shuffled = tmp_path / "shuffled.csv"
    with shuffled.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    config = training.TrainingConfig(cv_repeats=1)
    original = training.train(version="t", config=config)
    moved = training.train(data_path=shuffled, version="t", config=config)
    assert original["features"] == moved["features"]
    assert original["base_points"] == moved["base_points"]
    assert original["metrics"]["auc"] == moved["metrics"]["auc"]
    assert original["fairness"] != moved["fairness"]  # fairness does read them


@pytest.mark.django_db
def test_train_command_writes_registers_and_reports(tmp_path, capsys):
    output = tmp_path / "scorecard-test.1.json"
    call_command("train_scoring_model", "--version", "scorecard-test.1", "--cv-repeats", "2", "--output", str(output))
    printed = capsys.readouterr().out
    assert "AUC" in printed and "adverse impact ratio" in printed

    artifact = json.loads(output.read_text())
    assert artifact["version"] == "scorecard-test.1"
    names = {f["name"] for f in artifact["features"]}
    assert names and not names & set(PROTECTED)
    metrics = artifact["metrics"]
    assert metrics["repeats"] == 2 and metrics["folds"] == 5
    for key in ("auc", "ks", "gini"):
        assert 0 < metrics[key]["mean"] < 1 and metrics[key]["std"] >= 0
    assert metrics["gini"]["mean"] == pytest.approx(2 * metrics["auc"]["mean"] - 1, abs=1e-3)
    assert metrics["auc"]["mean"] > 0.7
    fairness = artifact["fairness"]
    assert fairness["cutoff"] == training.DEFAULT_CUTOFF
    for attribute in ("age", "sex"):
        group = fairness["groups"][attribute]
        ratio = group["protected"]["approval_rate"] / group["reference"]["approval_rate"]
        assert group["adverse_impact_ratio"] == pytest.approx(ratio, abs=1e-3)
    assert fairness["groups"]["age"]["protected"]["group"] == "under_25"
    assert fairness["groups"]["sex"]["protected"]["group"] == "female"
    assert artifact["training_data"]["sha256"] == training.load_dataset().sha256

    for f in artifact["features"]:
        if f["kind"] == "categorical":
            assert all(c in f["categories"] for b in f["bins"] for c in b["categories"])
        else:
            assert [b["upper"] for b in f["bins"][:-1]] == [b["lower"] for b in f["bins"][1:]]
    Scorecard.from_file(output)

    model = ScoringModel.objects.get(version="scorecard-test.1")
    assert model.status == ScoringModel.Status.CHALLENGER
    assert model.metrics == metrics and model.fairness == fairness
    assert model.training_data_sha256 == artifact["training_data"]["sha256"]


def test_train_command_refuses_to_overwrite(tmp_path):
    output = tmp_path / "x.json"
    output.write_text("{}")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists"):
        call_command("train_scoring_model", "--version", "x", "--output", str(output), "--no-register")


def test_next_version_counts_up_within_the_month(tmp_path):
    import datetime as dt

    from credit.management.commands.train_scoring_model import next_version

    today = dt.date(2026, 11, 22)
    assert next_version(tmp_path, today) == "scorecard-2026.11.1"
    (tmp_path / "scorecard-2026.11.1.json").write_text("{}")
    (tmp_path / "scorecard-2026.11.9.json").write_text("{}")
    assert next_version(tmp_path, today) == "scorecard-2026.11.10"
    assert Path(tmp_path).exists()
