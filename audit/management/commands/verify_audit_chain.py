"""Prove the audit chain intact: ``manage.py verify_audit_chain``.

Prints how many events were verified when every link holds; otherwise fails (non-zero
exit) naming the first broken link: its sequence, the row id and why. Events written
unchained by the ledger are chained right after their transaction commits; a few may be
waiting at any moment, which is reported. One waiting longer than
``AUDIT_CHAIN_MAX_LAG_SECONDS`` (600 by default) means its chaining was lost and the beat
job ``audit.chain_pending`` is not running: that fails too.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.services import audit_chain_max_lag_seconds, audit_chain_pending, audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain; name the first broken link and exit non-zero if there is one."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="Events read per query (default 2000).")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        checked, broken = audit_chain_verify(batch_size=batch_size)
        if broken is not None:
            raise CommandError(f"Audit chain broken at {broken}. {checked} event(s) before it verified.")
        waiting, oldest = audit_chain_pending()
        if waiting:
            age = (timezone.now() - oldest).total_seconds()
            if age > audit_chain_max_lag_seconds():
                raise CommandError(
                    f"{waiting} audit event(s) not chained, the oldest recorded {age:.0f} s ago: "
                    "is the audit.chain_pending job running? "
                    f"{checked} chained event(s) verified."
                )
        note = f"; {waiting} event(s) recorded in the last moments wait to be chained" if waiting else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain OK: {checked} event(s) verified{note}."))
