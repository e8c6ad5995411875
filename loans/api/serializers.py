from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from blockscore import money
from blockscore.api.serializers import AmountStringField, StrictSerializer
from loans.models import LoanApplication, LoanProduct
from loans.services.repayments import amount_due_minor, payoff_minor
from wallets.services.ledger import ledger_day


def _amount(value, currency: str) -> str:
    return money.format_amount(value, currency)


class ProductOutput(serializers.ModelSerializer):
    min_amount = serializers.SerializerMethodField()
    max_amount = serializers.SerializerMethodField()
    late_fee_amount = serializers.SerializerMethodField()

    class Meta:
        model = LoanProduct
        fields = [
            "code",
            "name",
            "description",
            "currency",
            "min_amount",
            "max_amount",
            "min_term",
            "max_term",
            "frequency",
            "interest_method",
            "annual_rate_percent",
            "origination_fee_percent",
            "late_fee_amount",
            "late_fee_percent",
            "grace_days",
            "default_after_days",
        ]
        read_only_fields = fields

    def get_min_amount(self, product) -> str:
        return _amount(product.min_amount, product.currency)

    def get_max_amount(self, product) -> str:
        return _amount(product.max_amount, product.currency)

    def get_late_fee_amount(self, product) -> str:
        return _amount(money.from_minor_units(product.late_fee_minor, product.currency), product.currency)


class LoanQuoteInput(StrictSerializer):
    product = serializers.SlugField(max_length=40, help_text="The product's code.")
    amount = AmountStringField()
    term = serializers.IntegerField(min_value=1, max_value=1000, help_text="Number of installments.")


class InstallmentOutput(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    principal = serializers.SerializerMethodField()
    interest = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    def _money(self, value) -> str:
        return _amount(value, self.context["currency"])

    def get_principal(self, item) -> str:
        return self._money(item.principal)

    def get_interest(self, item) -> str:
        return self._money(item.interest)

    def get_payment(self, item) -> str:
        return self._money(item.payment)

    def get_balance_after(self, item) -> str:
        return self._money(item.balance_after)


class LoanQuoteOutput(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    term = serializers.IntegerField()
    frequency = serializers.CharField(source="product.frequency")
    interest_method = serializers.CharField(source="product.interest_method")
    annual_rate_percent = serializers.DecimalField(
        source="product.annual_rate_percent", max_digits=6, decimal_places=3, coerce_to_string=True
    )
    origination_fee = serializers.SerializerMethodField()
    amount_disbursed = serializers.SerializerMethodField()
    total_interest = serializers.SerializerMethodField()
    total_cost = serializers.SerializerMethodField()
    total_payable = serializers.SerializerMethodField()
    apr_percent = serializers.DecimalField(source="apr", max_digits=8, decimal_places=1, coerce_to_string=True)
    apr_definition = serializers.SerializerMethodField()
    start_date = serializers.DateField(source="start")
    installments = serializers.SerializerMethodField()

    def get_amount(self, quote) -> str:
        return _amount(quote.amount, quote.currency)

    def get_origination_fee(self, quote) -> str:
        return _amount(quote.origination_fee, quote.currency)

    def get_amount_disbursed(self, quote) -> str:
        return _amount(quote.amount_disbursed, quote.currency)

    def get_total_interest(self, quote) -> str:
        return _amount(quote.total_interest, quote.currency)

    def get_total_cost(self, quote) -> str:
        return _amount(quote.total_cost, quote.currency)

    def get_total_payable(self, quote) -> str:
        return _amount(quote.total_payable, quote.currency)

    def get_apr_definition(self, quote) -> str:
        return "EU Consumer Credit Directive 2008/48/EC, Annex I (as amended by Directive 2011/90/EU)"

    def get_installments(self, quote) -> list[dict]:
        return InstallmentOutput(quote.installments, many=True, context={"currency": quote.currency}).data


class ApplicationInput(StrictSerializer):
    product = serializers.SlugField(max_length=40, help_text="The product's code.")
    amount = AmountStringField()
    term = serializers.IntegerField(min_value=1, max_value=1000, help_text="Number of installments.")
    purpose = serializers.ChoiceField(choices=LoanApplication.Purpose.choices)
    monthly_income = AmountStringField(help_text="Net monthly income, in the product's currency.")
    monthly_expenses = AmountStringField(help_text="Monthly living costs without debt payments.")


class CancelInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionOutput(serializers.Serializer):
    outcome = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    adverse_action_reasons = serializers.ListField(child=serializers.CharField())
    debt_to_income_percent = serializers.CharField(allow_null=True)
    monthly_installment = serializers.CharField(allow_null=True)
    recommended_amount = serializers.CharField(allow_null=True)
    recommended_rate_percent = serializers.CharField(allow_null=True)
    version = serializers.CharField()


class ApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    product = serializers.CharField(source="product.code")
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    term = serializers.IntegerField()
    purpose = serializers.CharField()
    monthly_income = serializers.SerializerMethodField()
    monthly_expenses = serializers.SerializerMethodField()
    status = serializers.CharField()
    approved_amount = serializers.SerializerMethodField()
    approved_term = serializers.IntegerField(allow_null=True)
    decline_reasons = serializers.ListField(child=serializers.CharField(), help_text="A loan officer's reasons.")
    score = serializers.IntegerField(source="score.score", default=None, allow_null=True)
    decision = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)

    def get_amount(self, application) -> str:
        return _amount(application.amount, application.currency)

    def get_approved_amount(self, application) -> str | None:
        approved = application.approved_amount
        return None if approved is None else _amount(approved, application.currency)

    def get_monthly_income(self, application) -> str:
        return _amount(application.monthly_income, application.currency)

    def get_monthly_expenses(self, application) -> str:
        return _amount(application.monthly_expenses, application.currency)

    @extend_schema_field(DecisionOutput(allow_null=True))
    def get_decision(self, application) -> dict | None:
        return DecisionOutput(application.decision).data if application.decision else None


class AcceptInput(StrictSerializer):
    wallet = serializers.UUIDField(
        required=False, help_text="The wallet to pay into (default: your wallet in the loan's currency)."
    )


class LoanOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    application = serializers.UUIDField(source="application.public_id")
    product = serializers.CharField(source="product.code")
    currency = serializers.CharField()
    principal = serializers.SerializerMethodField()
    origination_fee = serializers.SerializerMethodField()
    term = serializers.IntegerField()
    frequency = serializers.CharField()
    interest_method = serializers.CharField()
    annual_rate_percent = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=True)
    apr_percent = serializers.DecimalField(max_digits=8, decimal_places=1, coerce_to_string=True)
    wallet = serializers.UUIDField(source="wallet.public_id")
    start_date = serializers.DateField()
    status = serializers.CharField()
    disbursement_entry = serializers.UUIDField(source="disbursement_entry.public_id")
    disbursed_at = serializers.DateTimeField()

    principal_outstanding = serializers.SerializerMethodField()
    interest_accrued = serializers.SerializerMethodField(help_text="Interest earned so far.")
    interest_paid = serializers.SerializerMethodField()
    fees_outstanding = serializers.SerializerMethodField(help_text="Late fees charged and not yet paid.")
    amount_due = serializers.SerializerMethodField(help_text="Due today: what installments due by today still owe.")
    payoff_amount = serializers.SerializerMethodField(
        help_text="What repays the loan in full today: fees, interest earned to date and all the principal."
    )
    next_due_date = serializers.SerializerMethodField()
    days_past_due = serializers.IntegerField()
    bucket = serializers.CharField()
    closed_on = serializers.DateField(allow_null=True)

    def _money(self, loan, minor: int) -> str:
        return _amount(money.from_minor_units(minor, loan.currency), loan.currency)

    def _rows(self, loan) -> list:
        return sorted(loan.installments.all(), key=lambda row: row.number)

    def get_principal(self, loan) -> str:
        return _amount(loan.principal, loan.currency)

    def get_origination_fee(self, loan) -> str:
        return _amount(loan.origination_fee, loan.currency)

    def get_principal_outstanding(self, loan) -> str:
        return self._money(loan, loan.principal_outstanding_minor)

    def get_interest_accrued(self, loan) -> str:
        return self._money(loan, loan.interest_accrued_minor)

    def get_interest_paid(self, loan) -> str:
        return self._money(loan, loan.interest_paid_minor)

    def get_fees_outstanding(self, loan) -> str:
        return self._money(loan, loan.fees_outstanding_minor)

    def get_amount_due(self, loan) -> str:
        return self._money(loan, amount_due_minor(self._rows(loan), ledger_day()) if loan.is_open else 0)

    def get_payoff_amount(self, loan) -> str:
        return self._money(loan, payoff_minor(self._rows(loan), ledger_day()) if loan.is_open else 0)

    def get_next_due_date(self, loan) -> date | None:
        unpaid = [row.due_date for row in self._rows(loan) if row.paid_on is None]
        return min(unpaid) if unpaid and loan.is_open else None


class ScheduleRowOutput(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    principal = serializers.SerializerMethodField()
    interest = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    principal_paid = serializers.SerializerMethodField()
    interest_paid = serializers.SerializerMethodField()
    late_fee = serializers.SerializerMethodField()
    late_fee_paid = serializers.SerializerMethodField()
    paid_on = serializers.DateField(allow_null=True)
    status = serializers.SerializerMethodField(help_text="paid, overdue, due (today) or upcoming.")

    def _money(self, minor: int) -> str:
        currency = self.context["currency"]
        return _amount(money.from_minor_units(minor, currency), currency)

    def get_principal(self, row) -> str:
        return self._money(row.principal_minor)

    def get_interest(self, row) -> str:
        return self._money(row.interest_minor)

    def get_payment(self, row) -> str:
        return self._money(row.principal_minor + row.interest_minor)

    def get_principal_paid(self, row) -> str:
        return self._money(row.principal_paid_minor)

    def get_interest_paid(self, row) -> str:
        return self._money(row.interest_paid_minor)

    def get_late_fee(self, row) -> str:
        return self._money(row.late_fee_minor)

    def get_late_fee_paid(self, row) -> str:
        return self._money(row.late_fee_paid_minor)

    def get_status(self, row) -> str:
        if row.paid_on is not None:
            return "paid"
        today = ledger_day()
        if row.due_date < today:
            return "overdue"
        return "due" if row.due_date == today else "upcoming"


class RepaymentInput(StrictSerializer):
    amount = AmountStringField(help_text="In the loan's currency; at most the payoff amount.")
    wallet = serializers.UUIDField(
        required=False, help_text="The wallet to pay from (default: the wallet the loan was paid into)."
    )


class RepaymentOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    loan = serializers.UUIDField(source="loan.public_id")
    source = serializers.CharField()
    amount = serializers.SerializerMethodField()
    received_on = serializers.DateField()
    fees = serializers.SerializerMethodField()
    interest = serializers.SerializerMethodField()
    principal = serializers.SerializerMethodField()
    prepaid_principal = serializers.SerializerMethodField(
        help_text="Of the principal, what was paid before its due date."
    )
    fees_waived = serializers.SerializerMethodField()
    pays_off = serializers.BooleanField()
    allocation = serializers.JSONField(help_text="Per installment (or `prepayment`): fee, interest and principal paid.")
    reference = serializers.CharField()
    entry = serializers.UUIDField(source="entry.public_id")
    recorded_at = serializers.DateTimeField()

    def _money(self, repayment, minor: int) -> str:
        currency = repayment.loan.currency
        return _amount(money.from_minor_units(minor, currency), currency)

    def get_amount(self, repayment) -> str:
        return self._money(repayment, repayment.amount_minor)

    def get_fees(self, repayment) -> str:
        return self._money(repayment, repayment.fees_minor)

    def get_interest(self, repayment) -> str:
        return self._money(repayment, repayment.interest_minor)

    def get_principal(self, repayment) -> str:
        return self._money(repayment, repayment.principal_minor)

    def get_prepaid_principal(self, repayment) -> str:
        return self._money(repayment, repayment.prepaid_principal_minor)

    def get_fees_waived(self, repayment) -> str:
        return self._money(repayment, repayment.fees_waived_minor)
