from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"

    def ready(self):
        from audit.events import register_actions

        register_actions(
            {
                "credit.model_registered": "A scoring model artifact was registered (as a challenger).",
                "credit.model_activated": "A scoring model became the champion; the previous one a challenger.",
                "credit.survey_question_changed": (
                    "Staff added or changed a survey question (a new version once answered)."
                ),
            }
        )
