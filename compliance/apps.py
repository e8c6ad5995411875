from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self):
        from accounts.identity import register_identity_change_listener
        from audit.events import register_actions
        from compliance import checks
        from compliance.actions import ACTIONS
        from compliance.kyc import tasks  # noqa: F401  (registers the KYC Celery tasks)
        from compliance.monitoring import tasks as monitoring_tasks  # noqa: F401  (monitoring and risk tasks)
        from compliance.services.monitoring import entry_posted_listener
        from wallets.hooks import register_entry_posted_listener

        register_actions(ACTIONS)
        checks.register()
        register_identity_change_listener("compliance.rescreen", checks.rescreen_on_identity_change)
        register_entry_posted_listener("compliance.monitoring", entry_posted_listener)
