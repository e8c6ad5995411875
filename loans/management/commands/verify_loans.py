from django.core.management.base import BaseCommand, CommandError

from loans.models import Loan
from loans.verification import subledger_problems


class Command(BaseCommand):
    help = (
        "Prove the loans' sub-ledger: receivable accounts equal what the loans owe; each loan agrees with its schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--totals-only", action="store_true", help="Only the per-currency totals (fast).")

    def handle(self, *args, **options):
        problems = subledger_problems(per_loan=not options["totals_only"])
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Loan verification failed: {len(problems)} problem(s).")
        self.stdout.write(f"Loans OK: {Loan.objects.count()} loan(s) agree with the ledger.")
