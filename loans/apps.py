from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "loans"

    def ready(self):
        from audit.events import register_actions
        from loans import tasks  # noqa: F401  (registers the Celery tasks)
        from loans.actions import ACTIONS

        register_actions(ACTIONS)
