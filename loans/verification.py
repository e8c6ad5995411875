"""The loans' sub-ledger against the ledger: ``manage.py verify_loans``.

Per currency, the loan, interest and fee receivable accounts must hold (with the
ledger's sign: receivables are negative) exactly what the loans that are not written
off still owe: outstanding principal, interest accrued and unpaid, late fees unpaid.
Per loan, the outstanding principal must be what its installments still owe, and the
interest accrued what its installments have earned by ``accrued_through``.
"""

from collections import defaultdict

from django.db.models import F, Sum

from loans.models import Installment, Loan
from loans.services.servicing import earned
from wallets.models import LedgerAccount

_ACCOUNTS = {
    LedgerAccount.Kind.LOAN_RECEIVABLE: "principal",
    LedgerAccount.Kind.INTEREST_RECEIVABLE: "interest",
    LedgerAccount.Kind.FEE_RECEIVABLE: "fees",
}


def subledger_problems(*, per_loan: bool = True) -> list[str]:
    """What disagrees: the totals per currency, and each loan unless ``per_loan`` is off."""
    problems = []
    owed: dict[tuple[str, str], int] = defaultdict(int)
    for row in (
        Loan.objects.exclude(status=Loan.Status.WRITTEN_OFF)
        .values("currency")
        .annotate(
            principal=Sum("principal_outstanding_minor"),
            interest=Sum(F("interest_accrued_minor") - F("interest_paid_minor")),
            fees=Sum(F("fees_charged_minor") - F("fees_paid_minor")),
        )
    ):
        for part in ("principal", "interest", "fees"):
            owed[(row["currency"], part)] += row[part] or 0
    held: dict[tuple[str, str], int] = defaultdict(int)
    for account in LedgerAccount.objects.filter(kind__in=list(_ACCOUNTS), owner__isnull=True):
        held[(account.currency, _ACCOUNTS[account.kind])] += -account.balance_minor
    for key in sorted(set(owed) | set(held)):
        if owed[key] != held[key]:
            currency, part = key
            problems.append(f"{currency} {part}: loans owe {owed[key]}, the ledger's receivable holds {held[key]}")
    if per_loan:
        problems += loan_problems(Loan.objects.all())
    return problems


def loan_problems(loans) -> list[str]:
    """Each of ``loans`` (a queryset) against its installments."""
    problems = []
    rows_of = defaultdict(list)
    for row in Installment.objects.filter(loan__in=loans).order_by("loan_id", "number"):
        rows_of[row.loan_id].append(row)
    for loan in loans.order_by("pk"):
        rows = rows_of[loan.pk]
        principal = sum(row.principal_due_minor for row in rows)
        if loan.status != Loan.Status.WRITTEN_OFF and principal != loan.principal_outstanding_minor:
            problems.append(
                f"loan {loan.public_id}: outstanding {loan.principal_outstanding_minor}, installments owe {principal}"
            )
        if sum(row.principal_minor for row in rows) > loan.principal_minor:
            problems.append(f"loan {loan.public_id}: installments carry more principal than was lent")
        if loan.status == Loan.Status.PAID_OFF:
            if loan.principal_outstanding_minor or loan.interest_receivable_minor or loan.fees_outstanding_minor:
                problems.append(f"loan {loan.public_id}: paid off but still owes something")
        elif loan.accrued_through is not None:
            accrued = sum(earned(row, loan.accrued_through) for row in rows)
            if accrued != loan.interest_accrued_minor:
                problems.append(
                    f"loan {loan.public_id}: accrued {loan.interest_accrued_minor}, "
                    f"the schedule has earned {accrued} by {loan.accrued_through}"
                )
    return problems
