"""Races that must not let a token or link be used twice (real threads, real database)."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from blockscore.testing import run_in_parallel
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def run_parallel(count, fn):
    return run_in_parallel(count, lambda _index: fn())


def test_a_refresh_token_rotates_only_once_under_concurrency(settings):
    settings.ENABLE_RATE_LIMITING = False
    refresh = client_for(UserFactory()).tokens["refresh"]

    statuses = run_parallel(
        8, lambda: APIClient().post("/api/v1/auth/refresh", {"refresh": refresh}, format="json").status_code
    )

    assert sorted(statuses) == [200] + [401] * 7


def test_a_magic_link_logs_in_only_once_under_concurrency(settings):
    settings.ENABLE_RATE_LIMITING = False
    user = UserFactory()
    APIClient().post("/api/v1/auth/magic-link", {"email": user.email}, format="json")
    token = re.search(r"token=([A-Za-z0-9_\-]+)", mail.outbox[-1].body).group(1)

    statuses = run_parallel(
        8, lambda: APIClient().post("/api/v1/auth/magic-link/verify", {"token": token}, format="json").status_code
    )

    assert sorted(statuses) == [200] + [401] * 7
