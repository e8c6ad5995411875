"""A loan quote: the full schedule, what it costs and its APR, for a product, amount and term.

Nothing is stored: a quote is arithmetic on the product's terms (``loans.schedules``).
The schedule starts on the current ledger day; the first installment falls one period
later. The origination fee is withheld at disbursement, so the customer receives the
amount less the fee and repays the whole amount with interest; the APR counts it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from blockscore import money
from loans import schedules
from loans.exceptions import AmountOutsideProduct, TermOutsideProduct
from loans.models import LoanProduct
from wallets.services.ledger import ledger_day


@dataclass(frozen=True)
class Quote:
    product: LoanProduct
    amount: Decimal
    term: int
    start: date
    origination_fee: Decimal
    installments: list

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def amount_disbursed(self) -> Decimal:
        return self.amount - self.origination_fee

    @property
    def total_interest(self) -> Decimal:
        return schedules.total_interest(self.installments)

    @property
    def total_cost(self) -> Decimal:
        """What the credit costs: interest and fee."""
        return self.total_interest + self.origination_fee

    @property
    def total_payable(self) -> Decimal:
        return schedules.total_payable(self.installments)

    @property
    def apr(self) -> Decimal:
        return schedules.apr(
            amount=self.amount, fee=self.origination_fee, installments=self.installments, start=self.start
        )


def loan_quote(*, product: LoanProduct, amount: Decimal, term: int, start: date | None = None) -> Quote:
    amount = money.exact(amount, product.currency)
    if not product.min_amount <= amount <= product.max_amount:
        raise AmountOutsideProduct(
            f"This product lends {money.format_amount(product.min_amount, product.currency)} to "
            f"{money.format_amount(product.max_amount, product.currency)} {product.currency}."
        )
    if not product.min_term <= term <= product.max_term:
        raise TermOutsideProduct(
            f"This product runs {product.min_term} to {product.max_term} {product.frequency} installments."
        )
    start = start or ledger_day()
    installments = product_schedule(product, amount=amount, term=term, start=start)
    fee = money.quantize(amount * product.origination_fee_percent / 100, product.currency)
    return Quote(product=product, amount=amount, term=term, start=start, origination_fee=fee, installments=installments)


def product_schedule(product: LoanProduct, *, amount: Decimal, term: int, start: date) -> list:
    """The installments of ``amount`` over ``term`` on the product's method, frequency and rate
    (``loans.schedules.schedule``), without checking the product's limits."""
    return schedules.schedule(
        amount=amount,
        currency=product.currency,
        annual_rate=product.annual_rate,
        term=term,
        method=product.interest_method,
        frequency=product.frequency,
        start=start,
    )
