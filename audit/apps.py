from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from blockscore import auditing

        from audit.services import AuditRecorder

        auditing.register_recorder(AuditRecorder())
