from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from blockscore import money
from blockscore.api.serializers import AmountStringField, StrictSerializer
from loans.models import LoanApplication, LoanProduct


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

    def get_principal(self, loan) -> str:
        return _amount(loan.principal, loan.currency)

    def get_origination_fee(self, loan) -> str:
        return _amount(loan.origination_fee, loan.currency)


class ScheduleRowOutput(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    principal = serializers.SerializerMethodField()
    interest = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()

    def _money(self, minor: int) -> str:
        currency = self.context["currency"]
        return _amount(money.from_minor_units(minor, currency), currency)

    def get_principal(self, row) -> str:
        return self._money(row.principal_minor)

    def get_interest(self, row) -> str:
        return self._money(row.interest_minor)

    def get_payment(self, row) -> str:
        return self._money(row.principal_minor + row.interest_minor)
