"""Reminder e-mails before an installment falls due (queued by the servicing job)."""

from django.conf import settings
from django.core.mail import get_connection, send_mass_mail

from blockscore import money
from loans.models import Installment, Loan


def due_reminders_send(*, installment_ids: list[int]) -> int:
    """E-mail each borrower about their installment; none for one paid meanwhile or a closed loan."""
    rows = (
        Installment.objects.filter(pk__in=installment_ids, paid_on__isnull=True, loan__status=Loan.Status.ACTIVE)
        .select_related("loan__borrower", "loan__product")
        .order_by("pk")
    )
    messages = []
    for row in rows:
        loan = row.loan
        due = row.principal_due_minor + row.interest_due_minor + row.late_fee_due_minor
        amount = money.format_amount(money.from_minor_units(due, loan.currency), loan.currency)
        body = (
            f"Hello,\n\nInstallment {row.number} of your {loan.product.name} loan, {amount} {loan.currency}, "
            f"is due on {row.due_date:%d %B %Y}. We collect it from your {loan.currency} wallet on that day: "
            "please make sure the money is there, or repay in the app before then.\n"
        )
        messages.append(
            (
                f"BlockScore: your installment is due on {row.due_date:%d %b}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [loan.borrower.email],
            )
        )
    if messages:
        send_mass_mail(messages, connection=get_connection())
    return len(messages)
