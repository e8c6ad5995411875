"""Give the demo customers survey answers and a first score (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands.load_demo_data import CUSTOMERS
from accounts.models import User
from credit.models import CreditScore
from credit.services.scores import score_compute
from credit.services.survey import survey_answers_submit

# Two profiles: a steady saver and someone starting out.
PROFILES = [
    {
        "checking_account": "... >= 200 DM / salary assignments for at least 1 year",
        "loan_duration_months": "12",
        "credit_history": "existing credits paid back duly till now",
        "loan_purpose": "car (used)",
        "loan_amount": "2500",
        "savings": "500 <= ... < 1000 DM",
        "employment_since": "4 <= ... < 7 years",
        "installment_share": "2",
        "co_borrower": "none",
        "residence_since": "4",
        "property": "real estate",
        "other_installments": "none",
        "housing": "own",
        "existing_credits": "1",
        "job": "skilled employee / official",
        "dependants": "1",
        "telephone": "yes, registered under the customers name",
    },
    {
        "checking_account": "0 <= ... < 200 DM",
        "loan_duration_months": "36",
        "credit_history": "existing credits paid back duly till now",
        "loan_purpose": "furniture/equipment",
        "loan_amount": "6000",
        "savings": "... < 100 DM",
        "employment_since": "1 <= ... < 4 years",
        "installment_share": "4",
        "co_borrower": "none",
        "residence_since": "2",
        "property": "car or other, not in attribute Savings account/bonds",
        "other_installments": "none",
        "housing": "rent",
        "existing_credits": "1",
        "job": "skilled employee / official",
        "dependants": "1",
        "telephone": "none",
    },
]


class Command(BaseCommand):
    help = "Answer the credit survey for the demo customers and compute their first score."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("load_demo_credit refuses to run with production settings.")
        scored = 0
        for index, spec in enumerate(CUSTOMERS):
            customer = User.objects.filter(email=spec.email).first()
            if customer is None:
                continue
            if not CreditScore.objects.filter(user=customer).exists():
                survey_answers_submit(user=customer, answers=PROFILES[index % len(PROFILES)])
                score_compute(user=customer, trigger=CreditScore.Trigger.ON_DEMAND)
                scored += 1
        self.stdout.write(f"demo credit: {scored} customer(s) answered the survey and were scored")
