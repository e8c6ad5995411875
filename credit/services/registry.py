"""The scoring model registry: which scorecard artifacts exist and which one scores customers.

Invariants:

- A ``ScoringModel`` row names one artifact file by version; the file's sha256 is stored
  when it is registered, and every load checks the file against it, so an artifact edited
  after registration is refused rather than silently scoring customers.
- A version is registered once: registering the same file again returns the row; a
  different file under an existing version is refused.
- At most one champion (a partial unique constraint backs this); activating a model makes
  the previous champion a challenger, in one transaction, audited.
"""

import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.services import audit_event_record
from blockscore.exceptions import Conflict, DomainError, ValidationFailed
from credit.exceptions import NoActiveModel
from credit.models import ScoringModel
from credit.scoring.scorecard import Scorecard

logger = logging.getLogger(__name__)


class ModelArtifactInvalid(DomainError):
    """The artifact file is missing, unreadable or no longer the file that was registered."""

    code = "model_artifact_invalid"
    status_code = 503
    default_detail = "The scoring model's artifact file is missing or was changed after it was registered."


def _project_root() -> Path:
    return Path(settings.BASE_DIR).resolve()


def artifact_file(model: ScoringModel) -> Path:
    path = Path(model.artifact_path)
    return path if path.is_absolute() else _project_root() / path


def _stored_path(path: Path) -> str:
    """Relative to the project root when the file lies inside it (the committed artifacts)."""
    try:
        return path.relative_to(_project_root()).as_posix()
    except ValueError:
        return str(path)


def _load(raw: bytes, origin) -> Scorecard:
    try:
        return Scorecard.from_bytes(raw)
    except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise ValidationFailed(f"{origin} is not a scorecard artifact: {exc}", code="invalid_model_artifact") from exc


def load_verified(model: ScoringModel) -> Scorecard:
    """The model's scorecard, after checking its file is the one registered."""
    path = artifact_file(model)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelArtifactInvalid(f"{model.version}: cannot read {model.artifact_path}: {exc.strerror}.") from exc
    if hashlib.sha256(raw).hexdigest() != model.artifact_sha256:
        raise ModelArtifactInvalid(
            f"{model.version}: {model.artifact_path} does not match the sha256 registered for it; refusing to use it.",
            extra={"version": model.version},
        )
    card = _load(raw, model.artifact_path)
    if card.version != model.version:
        raise ModelArtifactInvalid(f"{model.artifact_path} holds version {card.version}, not {model.version}.")
    return card


@transaction.atomic
def model_register(path, *, activate: bool = False, actor=None) -> ScoringModel:
    """Register the artifact at ``path`` (idempotent by version); optionally make it champion."""
    path = Path(path).resolve()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"Cannot read {path}: {exc.strerror}.", code="invalid_model_artifact") from exc
    digest = hashlib.sha256(raw).hexdigest()
    card = _load(raw, path)
    model = ScoringModel.objects.filter(version=card.version).first()
    if model is not None:
        if model.artifact_sha256 != digest:
            raise Conflict(
                f"Version {card.version} is already registered with a different artifact file; "
                "train under a new version instead.",
                code="model_version_exists",
                extra={"version": card.version},
            )
    else:
        trained_at = parse_datetime(card.trained_at or "") or timezone.now()
        model = ScoringModel.objects.create(
            version=card.version,
            artifact_path=_stored_path(path),
            artifact_sha256=digest,
            training_data_sha256=card.training_data_sha256 or "",
            trained_at=trained_at,
            metrics=card.metrics,
            fairness=card.fairness,
            status=ScoringModel.Status.CHALLENGER,
        )
        audit_event_record(
            action="credit.model_registered",
            actor=actor,
            target=model,
            metadata={"version": model.version, "artifact_path": model.artifact_path, "sha256": digest},
        )
    if activate:
        model = model_activate(model=model, actor=actor)
    return model


@transaction.atomic
def model_activate(*, model: ScoringModel, actor) -> ScoringModel:
    """Make ``model`` the champion; the previous champion becomes a challenger. Audited.

    The artifact is checked against its registered hash first: a tampered file never
    becomes the champion.
    """
    load_verified(model)
    previous = list(ScoringModel.objects.select_for_update().filter(status=ScoringModel.Status.CHAMPION))
    model = ScoringModel.objects.select_for_update().get(pk=model.pk)
    if model.status == ScoringModel.Status.CHAMPION:
        return model
    before = model.status
    for old in previous:
        old.status = ScoringModel.Status.CHALLENGER
        old.save(update_fields=["status"])
    model.status = ScoringModel.Status.CHAMPION
    model.activated_at = timezone.now()
    model.activated_by = actor if getattr(actor, "is_authenticated", False) else None
    model.save(update_fields=["status", "activated_at", "activated_by"])
    audit_event_record(
        action="credit.model_activated",
        actor=actor,
        target=model,
        changes={"status": {"before": before, "after": model.status}},
        metadata={"version": model.version, "previous_champion": [old.version for old in previous]},
    )
    return model


def champion_scorecard() -> tuple[ScoringModel, Scorecard]:
    """The model that scores customers, with its verified scorecard (``NoActiveModel`` if none)."""
    model = ScoringModel.objects.filter(status=ScoringModel.Status.CHAMPION).first()
    if model is None:
        raise NoActiveModel()
    return model, load_verified(model)


def challenger_scorecards() -> list[tuple[ScoringModel, Scorecard]]:
    """Challengers that shadow-score (a challenger whose artifact fails its check is skipped)."""
    pairs = []
    for model in ScoringModel.objects.filter(status=ScoringModel.Status.CHALLENGER).order_by("-trained_at", "-id"):
        try:
            pairs.append((model, load_verified(model)))
        except ModelArtifactInvalid as exc:
            logger.error("challenger skipped: %s", exc.detail)
    return pairs
