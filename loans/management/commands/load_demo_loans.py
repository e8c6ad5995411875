"""Offer the demo loan products (idempotent: an existing product is left as it is)."""

from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from loans.models import LoanProduct
from loans.services import product_save

PRODUCTS = [
    {
        "code": "personal-usd",
        "name": "Personal loan",
        "description": "Equal monthly installments; repay early at any time without a fee.",
        "currency": "USD",
        "min_amount_minor": 20_000,
        "max_amount_minor": 1_000_000,
        "min_term": 3,
        "max_term": 36,
        "interest_method": LoanProduct.InterestMethod.DECLINING,
        "frequency": LoanProduct.Frequency.MONTHLY,
        "annual_rate_percent": Decimal("14.900"),
        "origination_fee_percent": Decimal("1.00"),
        "late_fee_minor": 1_500,
        "late_fee_percent": Decimal("0"),
        "grace_days": 5,
        "default_after_days": 90,
        "min_score": 550,
        "max_debt_to_income_percent": Decimal("40"),
        "second_approval_above_minor": 500_000,
    },
    {
        "code": "microloan-eur",
        "name": "Microloan",
        "description": "Small amounts, flat interest, weekly installments.",
        "currency": "EUR",
        "min_amount_minor": 5_000,
        "max_amount_minor": 100_000,
        "min_term": 4,
        "max_term": 26,
        "interest_method": LoanProduct.InterestMethod.FLAT,
        "frequency": LoanProduct.Frequency.WEEKLY,
        "annual_rate_percent": Decimal("18.000"),
        "origination_fee_percent": Decimal("0"),
        "late_fee_minor": 500,
        "late_fee_percent": Decimal("2.00"),
        "grace_days": 3,
        "default_after_days": 60,
        "min_score": 500,
        "max_debt_to_income_percent": Decimal("35"),
        "second_approval_above_minor": None,
    },
]


class Command(BaseCommand):
    help = "Create the demo loan products if they do not exist."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("load_demo_loans refuses to run with production settings.")
        created = 0
        for terms in PRODUCTS:
            if LoanProduct.objects.filter(code=terms["code"]).exists():
                continue
            product = LoanProduct(**terms)
            product_save(product, actor=None)
            created += 1
        self.stdout.write(f"Demo loan products: {created} created, {len(PRODUCTS) - created} already there.")
