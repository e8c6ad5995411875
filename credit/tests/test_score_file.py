"""score_file: a CSV of applicants in, the same rows plus score, band, pd and reason codes out."""

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credit.models import ScoringModel
from credit.scoring import training
from credit.services.registry import champion_scorecard

pytestmark = pytest.mark.django_db


def write_applicants(path, rows, columns):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def applicants(tmp_path):
    with training.DEFAULT_DATA.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = ["applicant_id", *(c for c in reader.fieldnames if c != "creditability")]
        rows = [{"applicant_id": f"A{i}", **row} for i, row in enumerate(reader) if i < 25]
    for row in rows:
        row.pop("creditability")
    path = tmp_path / "applicants.csv"
    write_applicants(path, rows, columns)
    return path, rows, columns


def read(path):
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def test_round_trip_adds_score_band_pd_and_reason_codes(applicants, tmp_path):
    source, rows, columns = applicants
    output = tmp_path / "scores.csv"
    call_command("score_file", "--input", str(source), "--output", str(output))
    header, scored = read(output)
    assert header == [*columns, "score", "band", "pd", "reason_codes"]
    _, card = champion_scorecard()
    assert len(scored) == len(rows)
    for original, out in zip(rows, scored, strict=True):
        assert {k: out[k] for k in columns} == original  # every input column untouched
        expected = card.score(original)
        assert int(out["score"]) == expected.score
        assert out["band"] == expected.band
        assert out["pd"] == str(expected.pd)
        assert out["reason_codes"] == ";".join(r.code for r in expected.reason_codes)
    assert any(";" in out["reason_codes"] for out in scored)


def test_protected_columns_are_optional_and_ignored(applicants, tmp_path):
    source, rows, columns = applicants
    first = tmp_path / "first.csv"
    call_command("score_file", "--input", str(source), "--output", str(first))
    protected = {"personal_status_and_sex", "foreign_worker", "age_in_years"}
    stripped_columns = [c for c in columns if c not in protected]
    stripped = tmp_path / "stripped.csv"
    write_applicants(stripped, [{k: r[k] for k in stripped_columns} for r in rows], stripped_columns)
    second = tmp_path / "second.csv"
    call_command("score_file", "--input", str(stripped), "--output", str(second))
    scores = [(r["score"], r["pd"], r["reason_codes"]) for r in read(first)[1]]
    assert scores == [(r["score"], r["pd"], r["reason_codes"]) for r in read(second)[1]]


def test_missing_required_column_is_named(applicants, tmp_path):
    source, rows, columns = applicants
    kept = [c for c in columns if c != "duration_in_month"]
    path = tmp_path / "short.csv"
    write_applicants(path, [{k: r[k] for k in kept} for r in rows], kept)
    output = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="duration_in_month"):
        call_command("score_file", "--input", str(path), "--output", str(output))
    assert not output.exists()


def test_bad_value_names_the_line_and_feature(applicants, tmp_path):
    source, rows, columns = applicants
    rows[3]["purpose"] = "holiday"
    path = tmp_path / "bad.csv"
    write_applicants(path, rows, columns)
    output = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=r"line 5: purpose: 'holiday'.*Allowed: .*car \(new\)"):
        call_command("score_file", "--input", str(path), "--output", str(output))
    assert not output.exists()


def test_no_active_model_is_a_clear_error(applicants, tmp_path):
    ScoringModel.objects.update(status=ScoringModel.Status.RETIRED)
    with pytest.raises(CommandError, match="No credit scoring model is active"):
        call_command("score_file", "--input", str(applicants[0]), "--output", str(tmp_path / "o.csv"))
