import pytest
from django.core.management import call_command

from accounts.management.commands.load_demo_data import CUSTOMERS
from credit.models import CreditScore

pytestmark = pytest.mark.django_db


def test_demo_customers_get_answers_and_a_score_once(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo credentials file is written here
    call_command("load_demo_data")
    call_command("load_demo_wallets")

    call_command("load_demo_credit")
    call_command("load_demo_credit")

    scores = CreditScore.objects.filter(user__email__in=[spec.email for spec in CUSTOMERS])
    assert scores.count() == len(CUSTOMERS)
    assert len({score.band for score in scores}) >= 2  # two different profiles
    assert "0 customer(s)" in capsys.readouterr().out  # the second run changed nothing
