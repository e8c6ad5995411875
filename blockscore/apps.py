from django.apps import AppConfig


class BlockScoreConfig(AppConfig):
    name = "blockscore"
    verbose_name = "Platform"

    def ready(self):
        from blockscore import idempotency
        from blockscore.jobs import register_housekeeping

        register_housekeeping(
            "blockscore.purge_expired_idempotency_records", idempotency.expired_idempotency_records_purge
        )
