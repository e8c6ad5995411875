from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "loans"

    def ready(self):
        from audit.events import register_actions
        from loans import features, tasks  # noqa: F401  (tasks: registers the Celery tasks)
        from loans.actions import ACTIONS

        register_actions(ACTIONS)
        features.register()  # repayment history for the credit score
