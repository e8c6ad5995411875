from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"

    def ready(self):
        from audit.events import register_actions
        from credit import tasks  # noqa: F401  (registers the Celery tasks in every process)

        register_actions(
            {
                "credit.model_registered": "A scoring model artifact was registered (as a challenger).",
                "credit.model_activated": "A scoring model became the champion; the previous one a challenger.",
                "credit.survey_question_changed": (
                    "Staff added or changed a survey question (a new version once answered)."
                ),
                "credit.attestation_requested": "A customer asked for a score to be attested on chain.",
                "credit.attestation_retried": "A customer asked again for a failed score attestation.",
                "credit.attestation_confirmed": "A score attestation was mined on chain.",
                "credit.attestation_failed": "The chain refused a score attestation (the error is kept on it).",
            }
        )
