from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"

    def ready(self):
        from audit.events import register_actions

        register_actions(
            {
                "wallet.opened": "A customer opened a wallet.",
                "wallet.status_changed": "An account was frozen, unfrozen or closed.",
                "ledger.entry_posted": "A journal entry was posted.",
            }
        )
