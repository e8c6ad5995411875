from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import MagicLink, MfaChallenge, RevokedAccessToken
from blockscore.models import JobRun
from blockscore.tasks import housekeeping
from conftest import client_for

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions():
    roles = {group.name: group for group in Group.objects.all()}

    assert set(roles) >= {"customer", "compliance officer", "loan officer", "operations", "auditor", "administrator"}
    assert not roles["customer"].permissions.exists()
    auditor_perms = set(roles["auditor"].permissions.values_list("codename", flat=True))
    assert {"view_user", "view_auditevent", "view_securityevent"} <= auditor_perms
    assert not any(perm.startswith(("add_", "change_", "delete_")) for perm in auditor_perms)


def test_housekeeping_removes_expired_links_challenges_and_tokens(user):
    past = timezone.now() - timedelta(minutes=1)
    future = timezone.now() + timedelta(minutes=10)
    MagicLink.objects.create(user=user, token_hash="a" * 64, expires_at=past)
    live_link = MagicLink.objects.create(user=user, token_hash="b" * 64, expires_at=future)
    MfaChallenge.objects.create(user=user, token_hash="c" * 64, expires_at=past)
    RevokedAccessToken.objects.create(jti="old", expires_at=past)
    RevokedAccessToken.objects.create(jti="new", expires_at=future)

    housekeeping.apply()

    assert list(MagicLink.objects.all()) == [live_link]
    assert not MfaChallenge.objects.exists()
    assert list(RevokedAccessToken.objects.values_list("jti", flat=True)) == ["new"]
    run = JobRun.objects.get(name="housekeeping")
    assert run.status == JobRun.Status.SUCCEEDED and run.finished_at is not None
    assert run.counts["accounts.expire_magic_links"] == 1
    assert run.counts["accounts.purge_expired_tokens"] == 1


def test_housekeeping_purges_expired_refresh_tokens(user):
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        client_for(user)
    client_for(user)

    housekeeping.apply()

    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    assert OutstandingToken.objects.count() == 1


def test_housekeeping_twice_is_harmless(user):
    housekeeping.apply()
    housekeeping.apply()

    runs = JobRun.objects.filter(name="housekeeping")
    assert runs.count() == 2
    assert all(run.status == JobRun.Status.SUCCEEDED for run in runs)
    assert runs.first().counts["accounts.expire_magic_links"] == 0
