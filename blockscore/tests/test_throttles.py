"""Scoped throttles and the login lockout on the atomic cache counter.

The parallel tests fire real threads at the full stack (Django test client, real
database, the configured cache: process memory locally, Redis in CI) and count the
answers: a limit of L lets exactly L through, whatever the interleaving.
"""

import uuid

import pytest
from django.conf import settings
from django.test import Client, override_settings

from accounts.tests.factories import PASSWORD, UserFactory
from audit.models import SecurityEvent
from blockscore import ratelimit
from blockscore.testing import run_in_parallel
from conftest import client_for

LOGIN = "/api/v1/auth/login"


def rates(**overrides) -> dict:
    return {**settings.THROTTLE_RATES, **overrides}


def run_parallel(count: int, request) -> list:
    """Start ``count`` threads together; each calls ``request(index)``. Errors fail the test."""
    results = run_in_parallel(count, request)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors[:3]
    return results


def post_json(client, path, body, **extra):
    return client.post(path, body, content_type="application/json", **extra)


def wrong_login(index):
    return post_json(Client(), LOGIN, {"email": f"ghost{index}@example.com", "password": "wrong-password-1"})


# --- the counter itself ----------------------------------------------------------------


def test_hit_counts_up_to_the_limit_then_refuses():
    results = [ratelimit.hit("unit:a", limit=3, window=60) for _ in range(5)]

    assert [result.allowed for result in results] == [True, True, True, False, False]
    assert [result.count for result in results] == [1, 2, 3, 4, 5]
    assert all(1 <= result.retry_after <= 60 for result in results)


def test_hit_keys_are_independent_and_reset_and_undo_work():
    for _ in range(3):
        ratelimit.hit("unit:b", limit=3, window=60)
    ratelimit.hit("unit:c", limit=3, window=60)

    assert ratelimit.count("unit:b", window=60) == 3
    assert ratelimit.count("unit:c", window=60) == 1
    ratelimit.undo("unit:b", window=60)
    assert ratelimit.count("unit:b", window=60) == 2
    ratelimit.reset("unit:b", window=60)
    assert ratelimit.count("unit:b", window=60) == 0
    ratelimit.undo("unit:never", window=60)  # nothing to take back: no error


@pytest.mark.parametrize(
    "rate,expected", [("20/minute", (20, 60)), ("5/hour", (5, 3600)), ("1/s", (1, 1)), ("100/day", (100, 86400))]
)
def test_parse_rate(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


def test_hit_is_atomic_under_threads():
    results = run_parallel(64, lambda index: ratelimit.hit("unit:parallel", limit=10, window=3600).allowed)

    assert results.count(True) == 10


# --- scoped throttles over HTTP ----------------------------------------------------------


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=rates(login="3/hour"), LOGIN_FAILURE_LIMIT_PER_IP=1000)
def test_the_throttle_answers_429_with_retry_after_once_the_scope_is_spent(client):
    statuses = [wrong_login(index).status_code for index in range(3)]
    refused = wrong_login(99)

    assert statuses == [401, 401, 401]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 3600


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=rates(login="2/hour"), LOGIN_FAILURE_LIMIT_PER_IP=1000)
def test_rate_limit_exceeded_is_recorded_once_per_window(client):
    for index in range(8):
        wrong_login(index)

    events = SecurityEvent.objects.filter(event_type="rate_limit_exceeded")
    assert events.count() == 1
    assert events.get().details["scope"] == "login"


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=rates(login="2/hour"), ENABLE_RATE_LIMITING=False, LOGIN_FAILURE_LIMIT_PER_IP=1000)
def test_enable_rate_limiting_false_turns_the_throttles_off(client):
    statuses = {wrong_login(index).status_code for index in range(10)}

    assert statuses == {401}
    assert not SecurityEvent.objects.filter(event_type="rate_limit_exceeded").exists()


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=rates(user="3/hour"))
def test_authenticated_callers_are_throttled_per_user_not_per_address():
    first, second = client_for(UserFactory()), client_for(UserFactory())

    first_statuses = [first.get("/api/v1/auth/me").status_code for _ in range(4)]
    second_status = second.get("/api/v1/auth/me").status_code

    assert first_statuses == [200, 200, 200, 429]
    assert second_status == 200
    assert SecurityEvent.objects.get(event_type="rate_limit_exceeded").user_id is not None


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=rates(register="2/hour"))
def test_register_has_its_own_stricter_scope(client):
    statuses = [
        post_json(
            client, "/api/v1/auth/register", {"email": f"new{index}@example.com", "password": PASSWORD}
        ).status_code
        for index in range(3)
    ]

    assert statuses == [201, 201, 429]


# --- parallel: exactly L through ---------------------------------------------------------


def _register(index):
    return post_json(
        Client(),
        "/api/v1/auth/register",
        {"email": f"p{index}-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD},
    )


def _magic_link(index):
    return post_json(Client(), "/api/v1/auth/magic-link", {"email": f"nobody{index}@example.com"})


def _login_mfa(index):
    return post_json(Client(), "/api/v1/auth/login/mfa", {"mfa_token": "x" * 40, "code": "123456"})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "scope,limit,request_fn,passed_status",
    [
        ("login", 7, wrong_login, 401),
        ("register", 4, _register, 201),
        ("magic_link", 3, _magic_link, 202),
        ("mfa", 5, _login_mfa, 401),
    ],
    ids=["login", "register", "magic_link", "mfa"],
)
def test_parallel_requests_get_exactly_the_limit_through(scope, limit, request_fn, passed_status):
    with override_settings(THROTTLE_RATES=rates(**{scope: f"{limit}/day"}), LOGIN_FAILURE_LIMIT_PER_IP=1000):
        responses = run_parallel(40, request_fn)

    statuses = [response.status_code for response in responses]
    assert statuses.count(passed_status) == limit, statuses
    assert statuses.count(429) == 40 - limit
    assert {response.json()["code"] for response in responses if response.status_code == 429} == {"rate_limited"}
    assert SecurityEvent.objects.filter(event_type="rate_limit_exceeded").count() == 1


# --- login lockout: 100 parallel wrong passwords -------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(
    LOGIN_FAILURE_LIMIT_PER_ACCOUNT=5,
    LOGIN_FAILURE_LIMIT_PER_IP=10_000,
    THROTTLE_RATES=rates(login="10000/minute"),
)
def test_100_parallel_wrong_passwords_reach_the_password_check_at_most_5_times():
    # Given an existing account
    victim = UserFactory()

    # When 100 wrong passwords arrive at once
    responses = run_parallel(
        100, lambda index: post_json(Client(), LOGIN, {"email": victim.email, "password": f"guess-{index}-xyz"})
    )

    # Then at most 5 were checked; every other attempt was locked out before the check
    answers = [(response.status_code, response.json()["code"]) for response in responses]
    checked = answers.count((401, "invalid_credentials"))
    assert 1 <= checked <= 5, answers
    assert answers.count((429, "login_locked")) == 100 - checked
    assert SecurityEvent.objects.filter(event_type="login_failed", user=victim).count() == checked
    assert SecurityEvent.objects.filter(event_type="account_locked", user=victim).count() <= 1

    # And even the right password is now refused, with the same words as for no account at all
    right = post_json(Client(), LOGIN, {"email": victim.email, "password": PASSWORD})
    for _ in range(5):
        post_json(Client(), LOGIN, {"email": "ghost@example.com", "password": "wrong-password-1"})
    ghost = post_json(Client(), LOGIN, {"email": "ghost@example.com", "password": "wrong-password-1"})
    assert right.status_code == ghost.status_code == 429
    assert right.json()["code"] == ghost.json()["code"] == "login_locked"
    assert right.json()["detail"] == ghost.json()["detail"]
    assert right["Retry-After"] == ghost["Retry-After"]
    assert "tokens" not in right.json()


@pytest.mark.django_db(transaction=True)
@override_settings(
    LOGIN_FAILURE_LIMIT_PER_ACCOUNT=1000,
    LOGIN_FAILURE_LIMIT_PER_IP=20,
    THROTTLE_RATES=rates(login="10000/minute"),
)
def test_100_parallel_wrong_logins_on_different_accounts_lock_the_address_after_20():
    responses = run_parallel(100, wrong_login)

    answers = [(response.status_code, response.json()["code"]) for response in responses]
    checked = answers.count((401, "invalid_credentials"))
    assert 1 <= checked <= 20, answers
    assert answers.count((429, "login_locked")) == 100 - checked
