"""Loan products (the terms a customer can borrow on, kept by staff in the console) and
loan applications.

Amounts are stored in the currency's minor units, as the ledger stores them; rates and
fees as percentages (``24.000`` is 24 % a year). A product is never deleted: it is
switched off (``is_active``), because applications and loans keep pointing at the terms
they were made on.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from blockscore import money
from wallets.models import CURRENCY_CHOICES


class LoanProduct(models.Model):
    class InterestMethod(models.TextChoices):
        DECLINING = "declining", "Declining balance (amortising, equal installments)"
        FLAT = "flat", "Flat (interest on the original amount)"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        WEEKLY = "weekly", "Weekly"

    code = models.SlugField(max_length=40, unique=True, help_text="Stable identifier used by the API.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    min_amount_minor = models.BigIntegerField(help_text="Smallest amount, in minor units (cents).")
    max_amount_minor = models.BigIntegerField(help_text="Largest amount, in minor units (cents).")
    min_term = models.PositiveSmallIntegerField(help_text="Fewest installments.")
    max_term = models.PositiveSmallIntegerField(help_text="Most installments.")
    interest_method = models.CharField(max_length=10, choices=InterestMethod.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    annual_rate_percent = models.DecimalField(max_digits=6, decimal_places=3, help_text="Nominal annual rate, in %.")
    origination_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), help_text="Of the amount, withheld at disbursement, in %."
    )
    late_fee_minor = models.BigIntegerField(
        default=0, help_text="Fixed late fee per overdue installment (minor units)."
    )
    late_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), help_text="Late fee as % of the overdue installment."
    )
    grace_days = models.PositiveSmallIntegerField(default=0, help_text="Days after the due date before a late fee.")
    min_score = models.PositiveSmallIntegerField(default=0, help_text="Lowest credit score accepted.")
    max_debt_to_income_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("40"), help_text="Highest debt-to-income ratio, in %."
    )
    second_approval_above_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Above this amount (minor units) a second loan officer must approve."
    )
    is_active = models.BooleanField(default=True, help_text="Offered to customers.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["currency", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_amount_minor__gt=0, max_amount_minor__gte=models.F("min_amount_minor")),
                name="loans_product_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(min_term__gte=1, max_term__gte=models.F("min_term")), name="loans_product_term_range"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    annual_rate_percent__gte=0,
                    origination_fee_percent__gte=0,
                    origination_fee_percent__lt=100,
                    late_fee_minor__gte=0,
                    late_fee_percent__gte=0,
                    max_debt_to_income_percent__gt=0,
                ),
                name="loans_product_rates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.currency})"

    @property
    def min_amount(self) -> Decimal:
        return money.from_minor_units(self.min_amount_minor, self.currency)

    @property
    def max_amount(self) -> Decimal:
        return money.from_minor_units(self.max_amount_minor, self.currency)

    @property
    def annual_rate(self) -> Decimal:
        """The nominal annual rate as a fraction (0.24 for 24 %)."""
        return self.annual_rate_percent / 100

    def clean(self):
        errors = {}
        if self.min_amount_minor is not None and self.min_amount_minor <= 0:
            errors["min_amount_minor"] = "The smallest amount must be positive."
        if None not in (self.min_amount_minor, self.max_amount_minor) and self.max_amount_minor < self.min_amount_minor:
            errors["max_amount_minor"] = "The largest amount must not be below the smallest."
        if self.min_term is not None and self.min_term < 1:
            errors["min_term"] = "At least one installment."
        if None not in (self.min_term, self.max_term) and self.max_term < self.min_term:
            errors["max_term"] = "The most installments must not be fewer than the fewest."
        if self.origination_fee_percent is not None and not 0 <= self.origination_fee_percent < 100:
            errors["origination_fee_percent"] = "Between 0 and 100 %."
        if errors:
            raise ValidationError(errors)


class LoanApplication(models.Model):
    """A customer's request to borrow, and what underwriting and officers decided.

    The state machine (``loans.services.applications``): draft → submitted → automatic
    underwriting → approved, referred or declined; a referred one waits for a loan
    officer. Cancellable by the customer until it is disbursed. Each transition is
    audited with who, when, why and the state it left.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REFERRED = "referred", "Referred to a loan officer"
        DECLINED = "declined", "Declined"
        ACCEPTED = "accepted", "Accepted by the customer"
        DISBURSED = "disbursed", "Disbursed"
        CANCELLED = "cancelled", "Cancelled"

    class Purpose(models.TextChoices):
        PERSONAL = "personal", "Personal"
        EDUCATION = "education", "Education"
        BUSINESS = "business", "Business"
        HOME_IMPROVEMENT = "home_improvement", "Home improvement"
        MEDICAL = "medical", "Medical"
        VEHICLE = "vehicle", "Vehicle"
        DEBT_CONSOLIDATION = "debt_consolidation", "Debt consolidation"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="loan_applications")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="applications")
    amount_minor = models.BigIntegerField()
    term = models.PositiveSmallIntegerField(help_text="Number of installments.")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    monthly_income_minor = models.BigIntegerField()
    monthly_expenses_minor = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # What underwriting saw and decided (loans.underwriting), kept as it was.
    score = models.ForeignKey("credit.CreditScore", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.JSONField(default=dict, blank=True)
    ruleset_version = models.CharField(max_length=20, blank=True)
    # What was approved: the request, or an officer's counter-offer (a smaller amount or
    # another term within the product).
    approved_amount_minor = models.BigIntegerField(null=True, blank=True)
    approved_term = models.PositiveSmallIntegerField(null=True, blank=True)
    # Officers' decisions on a referred application. Above the product's threshold the
    # approval takes two different loan officers: the first is recorded here until the
    # second approves.
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    decline_reasons = models.JSONField(default=list, blank=True, help_text="An officer's decline reason codes.")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["applicant", "-created_at"], name="loans_application_of_customer")]
        permissions = [("decide_loanapplication", "Can approve, decline and counter-offer referred applications")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    amount_minor__gt=0, term__gte=1, monthly_income_minor__gte=0, monthly_expenses_minor__gte=0
                ),
                name="loans_application_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.amount} {self.product.currency} ({self.status})"

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def amount(self) -> Decimal:
        return money.from_minor_units(self.amount_minor, self.product.currency)

    @property
    def monthly_income(self) -> Decimal:
        return money.from_minor_units(self.monthly_income_minor, self.product.currency)

    @property
    def monthly_expenses(self) -> Decimal:
        return money.from_minor_units(self.monthly_expenses_minor, self.product.currency)

    @property
    def approved_amount(self) -> Decimal | None:
        if self.approved_amount_minor is None:
            return None
        return money.from_minor_units(self.approved_amount_minor, self.product.currency)

    @property
    def needs_two_approvals(self) -> bool:
        threshold = self.product.second_approval_above_minor
        return threshold is not None and self.amount_minor > threshold


class Loan(models.Model):
    """A disbursed loan. Its terms are copied from the product and the approval at
    disbursement, and its schedule (``Installment``) is fixed then: later changes to the
    product change nothing here."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAID_OFF = "paid_off", "Paid off"
        DEFAULTED = "defaulted", "Defaulted"
        WRITTEN_OFF = "written_off", "Written off"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(LoanApplication, on_delete=models.PROTECT, related_name="loan")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    wallet = models.ForeignKey("wallets.LedgerAccount", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    principal_minor = models.BigIntegerField()
    origination_fee_minor = models.BigIntegerField(default=0)
    term = models.PositiveSmallIntegerField()
    interest_method = models.CharField(max_length=10, choices=LoanProduct.InterestMethod.choices)
    frequency = models.CharField(max_length=10, choices=LoanProduct.Frequency.choices)
    annual_rate_percent = models.DecimalField(max_digits=6, decimal_places=3)
    apr_percent = models.DecimalField(max_digits=8, decimal_places=1)
    start_date = models.DateField(
        help_text="The disbursement's ledger day; installments fall due from one period later."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    disbursement_entry = models.OneToOneField(
        "wallets.JournalEntry", on_delete=models.PROTECT, related_name="+", help_text="The disbursement's ledger entry."
    )
    disbursed_at = models.DateTimeField()

    class Meta:
        ordering = ["-disbursed_at", "-id"]
        indexes = [models.Index(fields=["borrower", "-disbursed_at"], name="loans_loan_of_borrower")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(principal_minor__gt=0, origination_fee_minor__gte=0, term__gte=1),
                name="loans_loan_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.currency} to {self.borrower} ({self.status})"

    @property
    def principal(self) -> Decimal:
        return money.from_minor_units(self.principal_minor, self.currency)

    @property
    def origination_fee(self) -> Decimal:
        return money.from_minor_units(self.origination_fee_minor, self.currency)


class Installment(models.Model):
    """One installment of a loan's schedule, as fixed at disbursement."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal_minor = models.BigIntegerField()
    interest_minor = models.BigIntegerField()

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="loans_installment_once"),
            models.CheckConstraint(
                condition=models.Q(principal_minor__gte=0, interest_minor__gte=0), name="loans_installment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} due {self.due_date}"
