from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self):
        from audit.events import register_actions
        from compliance.actions import ACTIONS

        register_actions(ACTIONS)
