"""The model registry: one champion, audited activation, tampered artifacts refused."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from blockscore.exceptions import Conflict
from credit.exceptions import NoActiveModel
from credit.models import ScoringModel
from credit.services.registry import (
    ModelArtifactInvalid,
    challenger_scorecards,
    champion_scorecard,
    model_activate,
    model_register,
)

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "credit" / "artifacts" / "scorecard-2026.11.1.json"


def artifact_copy(tmp_path, version, **changes):
    artifact = json.loads(COMMITTED.read_text())
    artifact.update(version=version, **changes)
    path = tmp_path / f"{version}.json"
    path.write_text(json.dumps(artifact))
    return path


def test_migrate_registers_the_committed_artifact_as_champion():
    model, card = champion_scorecard()
    assert model.version == card.version == "scorecard-2026.11.1"
    assert model.artifact_path == "credit/artifacts/scorecard-2026.11.1.json"
    assert model.metrics["auc"]["mean"] > 0.7
    assert set(model.fairness["groups"]) == {"age", "sex"}


def test_register_migration_is_idempotent():
    migration = importlib.import_module("credit.migrations.0002_register_champion")
    migration.register_artifacts(django_apps, None)
    assert ScoringModel.objects.filter(version="scorecard-2026.11.1").count() == 1
    assert ScoringModel.objects.filter(status=ScoringModel.Status.CHAMPION).count() == 1


def test_register_is_idempotent_and_new_models_start_as_challengers(tmp_path):
    path = artifact_copy(tmp_path, "v-new")
    model = model_register(path)
    assert model.status == ScoringModel.Status.CHALLENGER
    assert model_register(path).pk == model.pk
    assert [m.version for m, _ in challenger_scorecards()] == ["v-new"]
    assert AuditEvent.objects.filter(action="credit.model_registered", target_id=str(model.pk)).count() == 1


def test_a_different_file_under_a_registered_version_is_refused(tmp_path):
    model_register(artifact_copy(tmp_path, "v-same"))
    (tmp_path / "other").mkdir()
    other = artifact_copy(tmp_path / "other", "v-same", cutoff=600)
    with pytest.raises(Conflict) as caught:
        model_register(other)
    assert caught.value.code == "model_version_exists"


def test_activation_keeps_one_champion_and_is_audited(tmp_path):
    officer = UserFactory()
    old, _ = champion_scorecard()
    new = model_register(artifact_copy(tmp_path, "v-2"))

    model_activate(model=new, actor=officer)

    champions = ScoringModel.objects.filter(status=ScoringModel.Status.CHAMPION)
    assert [m.version for m in champions] == ["v-2"]
    old.refresh_from_db()
    assert old.status == ScoringModel.Status.CHALLENGER
    new.refresh_from_db()
    assert new.activated_by == officer and new.activated_at is not None
    event = AuditEvent.objects.get(action="credit.model_activated", target_id=str(new.pk))
    assert event.actor_id == officer.pk
    assert event.metadata["previous_champion"] == ["scorecard-2026.11.1"]
    assert event.changes["status"] == {"before": "challenger", "after": "champion"}
    model, card = champion_scorecard()
    assert (model.version, card.version) == ("v-2", "v-2")


def test_activating_the_champion_again_changes_nothing():
    champion, _ = champion_scorecard()
    before = AuditEvent.objects.filter(action="credit.model_activated").count()
    model_activate(model=champion, actor=None)
    assert AuditEvent.objects.filter(action="credit.model_activated").count() == before


def test_tampered_artifact_is_refused(tmp_path):
    path = artifact_copy(tmp_path, "v-tamper")
    model = model_register(path)
    artifact = json.loads(path.read_text())
    artifact["base_points"] += 100  # everyone looks better
    path.write_text(json.dumps(artifact))

    with pytest.raises(ModelArtifactInvalid):
        model_activate(model=model, actor=None)
    assert ScoringModel.objects.get(pk=model.pk).status == ScoringModel.Status.CHALLENGER
    assert challenger_scorecards() == []


def test_tampered_champion_stops_scoring(tmp_path):
    path = artifact_copy(tmp_path, "v-champ")
    model_register(path, activate=True)
    path.write_text(path.read_text().replace('"cutoff": 580', '"cutoff": 400'))
    with pytest.raises(ModelArtifactInvalid):
        champion_scorecard()


def test_no_champion_raises_no_active_model():
    ScoringModel.objects.update(status=ScoringModel.Status.RETIRED)
    with pytest.raises(NoActiveModel) as caught:
        champion_scorecard()
    assert caught.value.status_code == 503


def test_register_command_with_activate(tmp_path, capsys):
    path = artifact_copy(tmp_path, "v-cmd")
    call_command("register_scoring_model", str(path), "--activate")
    assert "v-cmd: champion" in capsys.readouterr().out
    assert champion_scorecard()[0].version == "v-cmd"
