"""Give the demo customers funded wallets, through the real deposit flow (idempotent)."""

from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.commands.load_demo_data import CUSTOMERS, STAFF
from accounts.models import User
from wallets.models import Deposit
from wallets.services import rails

OPENING_DEPOSITS = {"USD": Decimal("1500.00"), "EUR": Decimal("800.00")}


class Command(BaseCommand):
    help = "Fund the demo customers' USD and EUR wallets by bank deposits confirmed by the demo operations officer."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("load_demo_wallets refuses to run with production settings.")
        officer_email = next(spec.email for spec in STAFF if spec.role == "operations")
        officer = User.objects.filter(email=officer_email).first()
        if officer is None:
            raise CommandError("Run load_demo_data first.")
        funded = 0
        for spec in CUSTOMERS:
            customer = User.objects.filter(email=spec.email).first()
            if customer is None:
                continue
            for currency, amount in OPENING_DEPOSITS.items():
                already = Deposit.objects.filter(
                    wallet__owner=customer, currency=currency, note="demo opening deposit"
                ).exists()
                if already:
                    continue
                with transaction.atomic():
                    deposit = rails.deposit_create(
                        user=customer, rail="bank_transfer", currency=currency, amount=amount
                    )
                    rails.deposit_confirm(deposit=deposit, actor=officer, note="demo opening deposit")
                funded += 1
        self.stdout.write(f"demo wallets: {funded} opening deposit(s) made")
