"""The survey: questions (seeded from credit.survey, then managed by staff) and answers.

An answer is never edited: a new answer to the same question supersedes the current one
(``superseded_at``), so the history of what a customer said, and when, is kept.
"""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore.exceptions import ValidationFailed
from credit.exceptions import InvalidAnswer
from credit.models import SurveyAnswer, SurveyQuestion

DEFINITION_FIELDS = ("text", "help_text", "answer_type", "options", "min_value", "max_value", "feature")


def options_check(answer_type: str, options) -> None:
    """A choice question's options: a non-empty list of unique values with labels."""
    if answer_type == SurveyQuestion.AnswerType.CHOICE:
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(o, dict) and isinstance(o.get("value"), str) and o.get("label") for o in options)
        ):
            raise ValidationFailed('Options must be a non-empty list of {"value": ..., "label": ...}.')
        values = [o["value"] for o in options]
        if len(set(values)) != len(values):
            raise ValidationFailed("Option values must be unique.")


@transaction.atomic
def survey_question_save(*, question: SurveyQuestion, actor) -> SurveyQuestion:
    """Save a question edited by staff. Once customers have answered it, a change to what it
    asks becomes a new version (the answers stay with the version they answered; the old
    version is deactivated). Audited."""
    options_check(question.answer_type, question.options)
    if question.pk is None:
        latest = SurveyQuestion.objects.filter(key=question.key).order_by("-version").first()
        question.version = latest.version + 1 if latest else 1
        if question.active:
            SurveyQuestion.objects.filter(key=question.key, active=True).update(active=False)
        question.save()
        audit_event_record(
            action="credit.survey_question_changed",
            actor=actor,
            target=question,
            changes={name: {"after": getattr(question, name)} for name in DEFINITION_FIELDS},
            metadata={"key": question.key, "version": question.version},
        )
        return question
    stored = SurveyQuestion.objects.select_for_update().get(pk=question.pk)
    changed = {
        name: {"before": getattr(stored, name), "after": getattr(question, name)}
        for name in (*DEFINITION_FIELDS, "active", "position")
        if getattr(stored, name) != getattr(question, name)
    }
    if not changed:
        return stored
    if question.key != stored.key:
        raise ValidationFailed("A question's key cannot change; add a new question instead.")
    definition_changed = any(name in DEFINITION_FIELDS for name in changed)
    if definition_changed and stored.answers.exists():
        stored.active = False
        stored.save(update_fields=["active"])
        question.pk = question.id = None
        question.version = SurveyQuestion.objects.filter(key=stored.key).order_by("-version").first().version + 1
        question.save()
    else:
        if question.active and not stored.active:
            SurveyQuestion.objects.filter(key=question.key, active=True).exclude(pk=stored.pk).update(active=False)
        question.save()
    audit_event_record(
        action="credit.survey_question_changed",
        actor=actor,
        target=question,
        changes=changed,
        metadata={"key": question.key, "version": question.version, "new_version": question.pk != stored.pk},
    )
    return question


def answer_clean(question: SurveyQuestion, value) -> str:
    """The answer as stored (a string), or ``InvalidAnswer`` naming what is allowed."""
    if question.answer_type == SurveyQuestion.AnswerType.CHOICE:
        allowed = [option["value"] for option in question.options]
        if not isinstance(value, str) or value not in allowed:
            raise InvalidAnswer(
                f"'{question.key}' must be one of the allowed options.",
                extra={"question": question.key, "allowed": allowed},
            )
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidAnswer(f"'{question.key}' must be a whole number.", extra={"question": question.key})
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise InvalidAnswer(f"'{question.key}' must be a whole number.", extra={"question": question.key})
    number = int(text)
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidAnswer(
            f"'{question.key}' must be between {low} and {high}.",
            extra={"question": question.key, "min": low, "max": high},
        )
    return str(number)


@transaction.atomic
def survey_answers_submit(*, user, answers: dict) -> list[SurveyAnswer]:
    """Record answers (question key → value), all or none. An answer equal to the current
    one changes nothing."""
    questions = {q.key: q for q in SurveyQuestion.objects.filter(active=True, key__in=list(answers))}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise InvalidAnswer(
            f"Unknown question(s): {', '.join(unknown)}.",
            code="unknown_question",
            extra={
                "unknown": unknown,
                "allowed": sorted(SurveyQuestion.objects.filter(active=True).values_list("key", flat=True)),
            },
        )
    cleaned = {key: answer_clean(questions[key], value) for key, value in answers.items()}
    # Lock the customer's current answers: two submissions at once supersede in turn.
    current = {
        answer.key: answer
        for answer in SurveyAnswer.objects.select_for_update().filter(
            user=user, key__in=list(cleaned), superseded_at__isnull=True
        )
    }
    now = timezone.now()
    written = []
    for key, value in cleaned.items():
        previous = current.get(key)
        if previous is not None and previous.value == value and previous.question_id == questions[key].pk:
            written.append(previous)
            continue
        if previous is not None:
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
        written.append(SurveyAnswer.objects.create(user=user, question=questions[key], key=key, value=value))
    return written
