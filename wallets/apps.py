from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"

    def ready(self):
        from audit.events import register_actions
        from blockscore.jobs import register_housekeeping
        from wallets import tasks  # noqa: F401  (registers the Celery tasks)
        from wallets.services.fx import fx_quotes_expire

        register_housekeeping("wallets.expire_fx_quotes", fx_quotes_expire)

        register_actions(
            {
                "wallet.opened": "A customer opened a wallet.",
                "wallet.status_changed": "An account was frozen, unfrozen or closed.",
                "ledger.entry_posted": "A journal entry was posted.",
                "fx.rate_set": "Operations set an exchange rate or spread.",
                "adjustment.proposed": "A staff member proposed a manual correction (maker).",
                "adjustment.approved": "A second staff member approved a correction; it was posted (checker).",
                "adjustment.rejected": "A second staff member rejected a proposed correction.",
                "deposit.requested": "A customer announced a deposit.",
                "deposit.confirmed": "Operations confirmed a deposit's funds arrived; the wallet was credited.",
                "deposit.cancelled": "A pending deposit was cancelled.",
                "withdrawal.requested": "A customer asked for a payout; the funds are held.",
                "withdrawal.sent": "Operations marked a payout sent; the wallet was debited.",
                "withdrawal.failed": "A payout failed (operations, or the rail said so); the hold was released.",
                "deposit.credited": "The Lightning node reported a deposit's invoice paid; the wallet was credited.",
                "deposit.expired": "A Lightning deposit's invoice expired unpaid.",
                "withdrawal.paid": "The Lightning node paid a payout; the wallet was debited for the amount and fee.",
                "wallet_pin.set": "A customer set a withdrawal PIN.",
                "wallet_pin.changed": "A customer changed their withdrawal PIN (this also lifts a lock).",
                "wallet_pin.removed": "A customer removed their withdrawal PIN.",
                "wallet_pin.locked": "A withdrawal PIN was locked after too many wrong attempts.",
                "payment_request.created": "A customer created a payment request (QR code).",
                "payment_request.paid": "A customer paid a payment request; the requester's wallet was credited.",
                "payment_request.cancelled": "A customer cancelled their open payment request.",
            }
        )
