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
    default_after_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days past due at which the servicing job marks a loan defaulted."
    )
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


class Bucket(models.TextChoices):
    """Delinquency buckets by days past due."""

    CURRENT = "current", "Current"
    DPD_1_30 = "1-30", "1–30 days past due"
    DPD_31_60 = "31-60", "31–60 days past due"
    DPD_61_90 = "61-90", "61–90 days past due"
    DPD_90_PLUS = "90+", "More than 90 days past due"

    @classmethod
    def of(cls, days_past_due: int) -> "Bucket":
        if days_past_due <= 0:
            return cls.CURRENT
        if days_past_due <= 30:
            return cls.DPD_1_30
        if days_past_due <= 60:
            return cls.DPD_31_60
        if days_past_due <= 90:
            return cls.DPD_61_90
        return cls.DPD_90_PLUS


class Loan(models.Model):
    """A disbursed loan. Its terms are copied from the product and the approval at
    disbursement, and its schedule (``Installment``) is fixed then: later changes to the
    product change nothing here. (A prepayment re-spreads the principal still to fall due
    over the installments left, ``loans.services.repayments``.)

    The running figures (outstanding principal, interest accrued and paid, late fees) are
    the loan's sub-ledger: the ledger's loan, interest and fee receivable accounts hold
    their sums over every loan of a currency, and ``verify_loans`` checks that they agree.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAID_OFF = "paid_off", "Paid off"
        DEFAULTED = "defaulted", "Defaulted"
        WRITTEN_OFF = "written_off", "Written off"

    OPEN_STATUSES = (Status.ACTIVE, Status.DEFAULTED)

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
    # The sub-ledger, in minor units.
    principal_outstanding_minor = models.BigIntegerField(default=0)
    interest_accrued_minor = models.BigIntegerField(default=0, help_text="Interest earned so far (accrued).")
    interest_paid_minor = models.BigIntegerField(default=0)
    fees_charged_minor = models.BigIntegerField(default=0, help_text="Late fees charged (less any waived).")
    fees_paid_minor = models.BigIntegerField(default=0)
    accrued_through = models.DateField(null=True, blank=True, help_text="Interest is accrued up to this day.")
    # Kept by the daily servicing job (loans.services.servicing).
    serviced_on = models.DateField(
        null=True, blank=True, help_text="The last day the servicing job brought it up to date."
    )
    days_past_due = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=8, choices=Bucket.choices, default=Bucket.CURRENT, db_index=True)
    closed_on = models.DateField(null=True, blank=True, help_text="Paid off, defaulted or written off on.")
    # Write-off: proposed by one officer, approved by another (maker-checker).
    write_off_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    write_off_proposed_at = models.DateTimeField(null=True, blank=True)
    write_off_reason = models.CharField(max_length=280, blank=True)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    write_off_entry = models.OneToOneField(
        "wallets.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-disbursed_at", "-id"]
        # No index on serviced_on or accrued_through: the servicing job walks the primary
        # key, and an index on a column it rewrites every day would make none of its
        # updates HOT (migration 0009 leaves room on each page for them).
        indexes = [models.Index(fields=["borrower", "-disbursed_at"], name="loans_loan_of_borrower")]
        permissions = [
            ("record_repayment", "Can record a repayment received outside the platform"),
            ("write_off_loan", "Can propose and approve (another officer's) loan write-offs"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(principal_minor__gt=0, origination_fee_minor__gte=0, term__gte=1),
                name="loans_loan_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    principal_outstanding_minor__gte=0,
                    principal_outstanding_minor__lte=models.F("principal_minor"),
                    interest_accrued_minor__gte=0,
                    interest_paid_minor__gte=0,
                    fees_paid_minor__gte=0,
                    fees_paid_minor__lte=models.F("fees_charged_minor"),
                ),
                name="loans_loan_subledger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.currency} to {self.borrower} ({self.status})"

    def _money(self, minor: int) -> Decimal:
        return money.from_minor_units(minor, self.currency)

    @property
    def principal(self) -> Decimal:
        return self._money(self.principal_minor)

    @property
    def origination_fee(self) -> Decimal:
        return self._money(self.origination_fee_minor)

    @property
    def principal_outstanding(self) -> Decimal:
        return self._money(self.principal_outstanding_minor)

    @property
    def interest_receivable_minor(self) -> int:
        """Accrued and not yet paid (negative while interest is paid ahead of accrual)."""
        return self.interest_accrued_minor - self.interest_paid_minor

    @property
    def fees_outstanding_minor(self) -> int:
        return self.fees_charged_minor - self.fees_paid_minor

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Installment(models.Model):
    """One installment of a loan's schedule, and what has been paid against it.

    The period runs from ``starts_on`` (the previous due date, or the disbursement day)
    to ``due_date``; its interest is earned (accrued) evenly over those days. ``paid_on``
    is set when principal and interest are paid in full; a late fee charged after the
    grace period is the installment's too.
    """

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments")
    number = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    due_date = models.DateField()
    principal_minor = models.BigIntegerField()
    interest_minor = models.BigIntegerField()
    principal_paid_minor = models.BigIntegerField(default=0)
    interest_paid_minor = models.BigIntegerField(default=0)
    late_fee_minor = models.BigIntegerField(default=0)
    late_fee_paid_minor = models.BigIntegerField(default=0)
    late_fee_charged_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True, help_text="Principal and interest paid in full on (value date).")
    reminded_on = models.DateField(null=True, blank=True, help_text="Reminder e-mail sent on.")

    class Meta:
        ordering = ["loan", "number"]
        indexes = [
            models.Index(
                fields=["loan", "due_date"], condition=models.Q(paid_on__isnull=True), name="loans_inst_unpaid"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="loans_installment_once"),
            models.CheckConstraint(
                condition=models.Q(principal_minor__gte=0, interest_minor__gte=0), name="loans_installment_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    principal_paid_minor__gte=0,
                    principal_paid_minor__lte=models.F("principal_minor"),
                    interest_paid_minor__gte=0,
                    interest_paid_minor__lte=models.F("interest_minor"),
                    late_fee_paid_minor__gte=0,
                    late_fee_paid_minor__lte=models.F("late_fee_minor"),
                ),
                name="loans_installment_paid_within",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} due {self.due_date}"

    @property
    def principal_due_minor(self) -> int:
        return self.principal_minor - self.principal_paid_minor

    @property
    def interest_due_minor(self) -> int:
        return self.interest_minor - self.interest_paid_minor

    @property
    def late_fee_due_minor(self) -> int:
        return self.late_fee_minor - self.late_fee_paid_minor


class Repayment(models.Model):
    """Money received against a loan, and where it went (``allocation``): fees, then
    interest, then principal (``loans.services.repayments``). One ledger entry each."""

    class Source(models.TextChoices):
        WALLET = "wallet", "From the customer's wallet"
        COLLECTION = "collection", "Collected from the wallet on the due date"
        EXTERNAL = "external", "Received outside the platform (recorded by staff)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    source = models.CharField(max_length=10, choices=Source.choices)
    amount_minor = models.BigIntegerField()
    received_on = models.DateField(help_text="Value date: the day the money counts as received.")
    fees_minor = models.BigIntegerField(default=0)
    interest_minor = models.BigIntegerField(default=0)
    principal_minor = models.BigIntegerField(default=0)
    prepaid_principal_minor = models.BigIntegerField(
        default=0, help_text="Of the principal, what was paid before its due date."
    )
    fees_waived_minor = models.BigIntegerField(
        default=0, help_text="Late fees reversed because a back-dated payment was on time."
    )
    pays_off = models.BooleanField(default=False)
    allocation = models.JSONField(default=list, help_text="Per installment: fee, interest and principal paid.")
    reference = models.CharField(max_length=80, blank=True, help_text="The external payment's reference.")
    note = models.CharField(max_length=280, blank=True)
    entry = models.OneToOneField("wallets.JournalEntry", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["loan", "-recorded_at"], name="loans_repayment_of_loan")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    amount_minor__gt=0,
                    amount_minor=models.F("fees_minor") + models.F("interest_minor") + models.F("principal_minor"),
                ),
                name="loans_repayment_allocated",
            )
        ]

    def __str__(self) -> str:
        return f"{money.from_minor_units(self.amount_minor, self.loan.currency)} on {self.received_on}"


class ServicingRun(models.Model):
    """One day's run of the servicing job: at most one per day completes; a rerun of the
    same day (after a crash, or by hand) picks up the loans not yet serviced that day."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    loans_serviced = models.PositiveIntegerField(default=0)
    interest_accrued = models.JSONField(default=dict, help_text="Per currency, minor units.")
    late_fees = models.JSONField(default=dict, help_text="Per currency, minor units.")
    late_fees_charged = models.PositiveIntegerField(default=0)
    defaulted = models.PositiveIntegerField(default=0)
    reminders = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Servicing {self.day}"
