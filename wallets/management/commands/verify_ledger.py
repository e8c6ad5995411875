from django.core.management.base import BaseCommand, CommandError

from wallets.models import JournalEntry, LedgerAccount
from wallets.selectors import ledger_problems


class Command(BaseCommand):
    help = "Prove the books: balances equal their postings, entries balance, the books net to zero."

    def handle(self, *args, **options):
        problems = ledger_problems()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Ledger verification failed: {len(problems)} problem(s).")
        self.stdout.write(
            f"Ledger OK: {LedgerAccount.objects.count()} account(s), {JournalEntry.objects.count()} entries verified."
        )
