"""Reads of the credit app that more than one caller needs."""

import hashlib
import json

from credit.features import platform_features
from credit.models import CreditScore, ScoreAlert, SurveyAnswer, SurveyQuestion
from credit.survey import FEATURE_TO_KEY


def active_questions():
    return SurveyQuestion.objects.filter(active=True).order_by("position", "key")


def required_features() -> set[str]:
    """The inputs the champion model needs (none while no model is active)."""
    from credit.exceptions import NoActiveModel
    from credit.services.registry import champion_scorecard

    try:
        return {feature.name for feature in champion_scorecard()[1].features}
    except NoActiveModel:
        return set()


def current_answers(user) -> dict[str, str]:
    """Question key → the customer's current answer."""
    return dict(SurveyAnswer.objects.filter(user=user, superseded_at__isnull=True).values_list("key", "value"))


def score_inputs(user, scorecard, *, overrides: dict | None = None, answers: dict | None = None, platform=None):
    """The model inputs for ``user`` and where each came from, and the questions still to answer.

    Precedence: ``overrides`` (a loan application's amount and term), then platform data
    (credit.features), then the customer's answers. Returns ``(inputs, sources, missing)``
    where ``missing`` lists the question keys (or, for an input no question asks, the
    feature name) that the scorecard needs and nothing supplied."""
    answers = current_answers(user) if answers is None else answers
    platform = platform_features(user) if platform is None else platform
    overrides = overrides or {}
    inputs: dict[str, str | int] = {}
    sources: dict[str, str] = {}
    missing: list[str] = []
    for feature in scorecard.features:
        name = feature.name
        if name in overrides:
            value, source = overrides[name], "application"
        elif name in platform:
            value, source = platform[name]
        elif FEATURE_TO_KEY.get(name) in answers:
            key = FEATURE_TO_KEY[name]
            value, source = answers[key], f"survey:{key}"
        else:
            missing.append(FEATURE_TO_KEY.get(name, name))
            continue
        inputs[name] = int(value) if feature.kind == "numeric" else str(value)
        sources[name] = source
    return inputs, sources, missing


_PAIR_JSON: dict[tuple, str] = {}  # ("feature", value) -> '"feature":value', reused across customers


def _pair(name: str, value) -> str:
    key = (name, value)
    text = _PAIR_JSON.get(key)
    if text is None:
        if len(_PAIR_JSON) > 100_000:
            _PAIR_JSON.clear()
        text = _PAIR_JSON[key] = json.dumps(name, ensure_ascii=False) + ":" + json.dumps(value, ensure_ascii=False)
    return text


def inputs_hash(inputs: dict) -> str:
    """sha256 of the inputs as canonical JSON (sorted keys, no spaces): the same text as
    ``json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
    built from cached pieces because the nightly job hashes every customer."""
    canonical = "{" + ",".join(_pair(name, inputs[name]) for name in sorted(inputs)) + "}"
    return hashlib.sha256(canonical.encode()).hexdigest()


def scores_of(user):
    return CreditScore.objects.filter(user=user).select_related("model").order_by("-computed_at", "-id")


def latest_score(user) -> CreditScore | None:
    return scores_of(user).first()


def alerts_of(user):
    return ScoreAlert.objects.filter(user=user).select_related("score").order_by("-created_at", "-id")
