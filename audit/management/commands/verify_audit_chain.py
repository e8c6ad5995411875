"""Prove the audit chain intact: ``manage.py verify_audit_chain``.

Prints how many events were verified when every link holds; otherwise fails (non-zero
exit) naming the first broken link: its sequence, the row id and why.
"""

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_chain_verify


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
        self.stdout.write(self.style.SUCCESS(f"Audit chain OK: {checked} event(s) verified."))
