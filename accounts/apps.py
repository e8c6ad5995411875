from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import services, tasks  # noqa: F401  (registers the Celery tasks)
        from blockscore.jobs import register_housekeeping

        register_housekeeping("accounts.expire_magic_links", services.magic_links_expire)
        register_housekeeping("accounts.expire_mfa_challenges", services.mfa_challenges_expire)
        register_housekeeping("accounts.purge_expired_tokens", services.expired_tokens_purge)
