from blockscore.exceptions import Conflict, DomainError, TooManyRequests, ValidationFailed


class NoActiveModel(DomainError):
    code = "no_active_model"
    status_code = 503
    default_detail = "No credit scoring model is active. Staff must activate one."


class MissingAnswers(Conflict):
    """The score needs answers the customer has not given yet (``extra["missing"]`` names them)."""

    code = "survey_incomplete"
    default_detail = "Answer the remaining survey questions first."


class InvalidAnswer(ValidationFailed):
    code = "invalid_answer"
    default_detail = "This answer is not one of the allowed options."


class InvalidScoringInput(ValidationFailed):
    """A model input outside what the scorecard knows (a bad value in a scored file or call)."""

    code = "invalid_scoring_input"
    default_detail = "A scoring input has a value the model does not know."


class RefreshTooSoon(TooManyRequests):
    code = "refresh_too_soon"
    default_detail = "Your score was refreshed recently. Try again later."
