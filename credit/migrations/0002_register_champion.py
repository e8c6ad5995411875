"""Register every committed scorecard artifact, and make the newest the champion if none is.

So that ``manage.py migrate`` on a fresh database ends with a model that can score.
Historical models only; the artifact files are read as plain JSON (no app code imported).
Registering here is not audited (the audit chain is app code); activating later is.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _artifacts():
    root = Path(settings.BASE_DIR).resolve()
    for path in sorted(ARTIFACTS.glob("*.json")):
        raw = path.read_bytes()
        artifact = json.loads(raw)
        try:
            stored = path.resolve().relative_to(root).as_posix()
        except ValueError:
            stored = str(path.resolve())
        yield stored, hashlib.sha256(raw).hexdigest(), artifact


def register_artifacts(apps, schema_editor):
    ScoringModel = apps.get_model("credit", "ScoringModel")
    registered = []
    for stored, digest, artifact in _artifacts():
        model = ScoringModel.objects.filter(version=artifact["version"]).first()
        if model is None:
            model = ScoringModel.objects.create(
                version=artifact["version"],
                artifact_path=stored,
                artifact_sha256=digest,
                training_data_sha256=artifact.get("training_data", {}).get("sha256", ""),
                trained_at=parse_datetime(artifact.get("trained_at") or "") or timezone.now(),
                metrics=artifact.get("metrics", {}),
                fairness=artifact.get("fairness", {}),
                status="challenger",
            )
        registered.append(model)
    if registered and not ScoringModel.objects.filter(status="champion").exists():
        newest = max(registered, key=lambda m: (m.trained_at, m.version))
        newest.status = "champion"
        newest.activated_at = timezone.now()
        newest.save(update_fields=["status", "activated_at"])


def unregister_artifacts(apps, schema_editor):
    ScoringModel = apps.get_model("credit", "ScoringModel")
    versions = [artifact["version"] for _, _, artifact in _artifacts()]
    ScoringModel.objects.filter(version__in=versions, scores__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_scoring")]

    operations = [migrations.RunPython(register_artifacts, unregister_artifacts)]
