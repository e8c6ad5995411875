from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from audit.services import AuditRecorder
        from blockscore import auditing

        auditing.register_recorder(AuditRecorder())
