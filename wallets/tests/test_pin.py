import json

import pytest
from django.contrib.auth.hashers import check_password

from audit.models import AuditEvent, SecurityEvent
from blockscore.testing import run_in_parallel
from conftest import client_for
from wallets import exceptions
from wallets.models import WithdrawalPin
from wallets.services import pin as pin_service
from wallets.services.pin import is_weak_pin, pin_check, pin_set, pin_verify

PIN_URL = "/api/v1/wallets/pin"
VERIFY_URL = "/api/v1/wallets/pin/verify"
GOOD_PIN = "8317"

pytestmark = pytest.mark.django_db


def put_pin(client, pin, password):
    return client.put(PIN_URL, {"pin": pin, "current_password": password}, format="json")


def verify(client, pin):
    return client.post(VERIFY_URL, {"pin": pin}, format="json")


@pytest.fixture
def pin_user(user, password):
    pin_set(user=user, pin=GOOD_PIN, current_password=password)
    return user


def attempts(user) -> int:
    return WithdrawalPin.objects.get(user=user).failed_attempts


# --- set, change, remove ---------------------------------------------------------------


def test_set_stores_only_a_hash_and_is_audited(auth_client, user, password):
    response = put_pin(auth_client, GOOD_PIN, password)

    assert response.status_code == 200 and response.json()["pin_set"] is True
    record = WithdrawalPin.objects.get(user=user)
    assert record.pin_hash != GOOD_PIN and check_password(GOOD_PIN, record.pin_hash)
    assert AuditEvent.objects.filter(action="wallet_pin.set", actor=user).count() == 1


def test_change_needs_the_password_and_replaces_the_pin(user, password, pin_user):
    client = client_for(user)

    refused = put_pin(client, "40917", "not-my-password")
    changed = put_pin(client, "40917", password)

    assert refused.status_code == 400 and refused.json()["code"] == "invalid_password"
    assert changed.status_code == 200
    assert verify(client, GOOD_PIN).json()["code"] == "invalid_pin"
    assert verify(client, "40917").json() == {"valid": True}
    assert AuditEvent.objects.filter(action="wallet_pin.changed", actor=user).count() == 1


def test_set_with_a_wrong_password_stores_nothing(auth_client, user):
    response = put_pin(auth_client, GOOD_PIN, "not-my-password")

    assert response.status_code == 400 and response.json()["code"] == "invalid_password"
    assert response["Content-Type"] == "application/problem+json"
    assert not WithdrawalPin.objects.filter(user=user).exists()


def test_remove_needs_the_password(user, password, pin_user):
    client = client_for(user)

    refused = client.delete(PIN_URL, {"current_password": "not-my-password"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_password"
    assert WithdrawalPin.objects.filter(user=user).exists()

    removed = client.delete(PIN_URL, {"current_password": password}, format="json")
    assert removed.status_code == 204
    assert not WithdrawalPin.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="wallet_pin.removed", actor=user).count() == 1
    again = client.delete(PIN_URL, {"current_password": password}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "pin_not_set"


@pytest.mark.parametrize(
    "pin", ["0000", "1111", "999999", "1234", "4321", "123456", "654321", "3456", "1212", "123123"]
)
def test_weak_pins_are_refused(auth_client, user, password, pin):
    response = put_pin(auth_client, pin, password)

    assert response.status_code == 400 and response.json()["code"] == "weak_pin"
    assert not WithdrawalPin.objects.filter(user=user).exists()


@pytest.mark.parametrize("pin", ["8317", "40917", "052948", "1235", "1122"])
def test_ordinary_pins_are_not_weak(pin):
    assert not is_weak_pin(pin)


@pytest.mark.parametrize(
    "pin",
    [
        "12a4",
        "abcd",
        "831",
        "8317054",
        "",
        " 8317",
        "8317\n",
        "８３１７",
        "٨٣١٧",
        8317,
        40917,
        83.17,
        None,
        True,
        ["8317"],
    ],
)
def test_malformed_pins_are_refused(auth_client, user, password, pin):
    response = put_pin(auth_client, pin, password)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and "pin" in body["errors"]
    assert not WithdrawalPin.objects.filter(user=user).exists()


def test_unknown_fields_and_missing_password_are_refused(auth_client, password):
    assert auth_client.put(PIN_URL, {"pin": GOOD_PIN}, format="json").status_code == 400
    extra = auth_client.put(PIN_URL, {"pin": GOOD_PIN, "current_password": password, "x": 1}, format="json")
    assert extra.status_code == 400 and "x" in extra.json()["errors"]


# --- verify ------------------------------------------------------------------------------


def test_verify_right_and_wrong(user, pin_user):
    client = client_for(user)

    wrong = verify(client, "1357")
    right = verify(client, GOOD_PIN)

    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_pin" and wrong.json()["remaining_attempts"] == 4
    assert right.status_code == 200 and right.json() == {"valid": True}
    assert attempts(user) == 0, "a right PIN resets the count"


def test_verify_refuses_a_number_and_does_not_count_it(user, pin_user):
    response = verify(client_for(user), 8317)

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert attempts(user) == 0


def test_verify_without_a_pin_set(auth_client):
    response = verify(auth_client, GOOD_PIN)

    assert response.status_code == 409 and response.json()["code"] == "pin_not_set"


def test_five_wrong_pins_lock_it_until_a_new_pin_is_set(user, password, pin_user):
    client = client_for(user)

    answers = [verify(client, "1357") for _ in range(5)]
    after_lock = verify(client, GOOD_PIN)

    assert [a.json()["code"] for a in answers] == ["invalid_pin"] * 4 + ["pin_locked"]
    assert [a.json()["remaining_attempts"] for a in answers[:4]] == [4, 3, 2, 1]
    assert answers[-1].status_code == 423
    assert after_lock.status_code == 423 and after_lock.json()["code"] == "pin_locked", "even the right PIN"
    assert AuditEvent.objects.filter(action="wallet_pin.locked", actor=user).count() == 1
    assert SecurityEvent.objects.filter(
        event_type="account_locked", user=user, details__scope="withdrawal_pin"
    ).exists()
    with pytest.raises(exceptions.PinLocked):
        pin_check(user=user, pin=GOOD_PIN)

    assert put_pin(client, "40917", password).status_code == 200
    assert attempts(user) == 0 and WithdrawalPin.objects.get(user=user).locked_at is None
    assert verify(client, "40917").json() == {"valid": True}
    changed = AuditEvent.objects.get(action="wallet_pin.changed", actor=user)
    assert changed.metadata == {"was_locked": True}


def test_a_right_pin_resets_the_count_before_the_limit(user, pin_user):
    for _ in range(4):
        with pytest.raises(exceptions.InvalidPin):
            pin_verify(user=user, pin="1357")

    pin_verify(user=user, pin=GOOD_PIN)

    assert attempts(user) == 0
    with pytest.raises(exceptions.InvalidPin) as raised:
        pin_verify(user=user, pin="1357")
    assert raised.value.extra == {"remaining_attempts": 4}


def test_another_users_pin_is_independent(user, other_user, password, pin_user):
    pin_set(user=other_user, pin="40917", current_password=password)
    for _ in range(5):
        verify(client_for(other_user), "1357")

    assert verify(client_for(user), GOOD_PIN).json() == {"valid": True}
    assert verify(client_for(user), "40917").json()["code"] == "invalid_pin"
    assert verify(client_for(other_user), "40917").json()["code"] == "pin_locked"


def test_pin_endpoints_need_authentication(api_client):
    assert api_client.put(PIN_URL, {"pin": GOOD_PIN, "current_password": "x"}, format="json").status_code == 401
    assert api_client.delete(PIN_URL, {"current_password": "x"}, format="json").status_code == 401
    assert verify(api_client, GOOD_PIN).status_code == 401


def test_verify_is_throttled_on_the_mfa_scope(settings, user, pin_user):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mfa": "2/minute"}
    client = client_for(user)

    statuses = [verify(client, GOOD_PIN).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- pin_check, for withdrawals ------------------------------------------------------------


def test_pin_check_passes_when_no_pin_is_set(user):
    pin_check(user=user, pin=None)
    pin_check(user=user, pin="anything")


def test_pin_check_with_a_pin_set(user, pin_user):
    for missing in (None, ""):
        with pytest.raises(exceptions.PinRequired) as raised:
            pin_check(user=user, pin=missing)
        assert raised.value.code == "pin_required" and raised.value.status_code == 422
    assert attempts(user) == 0, "a missing PIN is not a guess"

    with pytest.raises(exceptions.InvalidPin):
        pin_check(user=user, pin="1357")
    with pytest.raises(exceptions.InvalidPin):
        pin_check(user=user, pin="not digits")
    assert attempts(user) == 2

    pin_check(user=user, pin=GOOD_PIN)
    assert attempts(user) == 0


# --- secrets stay out of the records -------------------------------------------------------


def test_neither_pin_nor_hash_appears_in_audit_or_security_records(user, password):
    client = client_for(user)
    hashes = []
    for pin in (GOOD_PIN, "40917"):
        put_pin(client, pin, password)
        hashes.append(WithdrawalPin.objects.get(user=user).pin_hash)
    for _ in range(5):
        verify(client, "1357")
    client.delete(PIN_URL, {"current_password": password}, format="json")

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    records = [json.dumps([e.changes, e.metadata, e.target_id]) for e in AuditEvent.objects.all()]
    records += [json.dumps(e.details) for e in SecurityEvent.objects.all()]

    assert {"wallet_pin.set", "wallet_pin.changed", "wallet_pin.locked", "wallet_pin.removed"} <= actions
    for text in records:
        for secret in (GOOD_PIN, "40917", "1357", password, *hashes):
            assert secret not in text, text


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_count_at_most_five(settings, user, password):
    settings.ENABLE_RATE_LIMITING = False
    pin_set(user=user, pin=GOOD_PIN, current_password=password)

    def guess(_index):
        try:
            pin_verify(user=user, pin="1357")
        except (exceptions.InvalidPin, exceptions.PinLocked) as exc:
            return exc.code
        return "accepted"

    results = run_in_parallel(20, guess)

    assert sorted(results) == ["invalid_pin"] * 4 + ["pin_locked"] * 16, results
    assert attempts(user) == 5
    assert AuditEvent.objects.filter(action="wallet_pin.locked").count() == 1
    with pytest.raises(exceptions.PinLocked):
        pin_verify(user=user, pin=GOOD_PIN)


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_through_the_api(settings, user, password):
    settings.ENABLE_RATE_LIMITING = False
    pin_set(user=user, pin=GOOD_PIN, current_password=password)

    results = run_in_parallel(20, lambda index: verify(client_for(user), f"{1357 + index:04d}").status_code)

    assert sorted(results) == [400] * 4 + [423] * 16, results
    assert attempts(user) == 5


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_check_the_hash_at_most_five_times(monkeypatch, user, password):
    """The attempt is claimed before the PIN is looked at: twenty different guesses at once
    get five looks at the hash, not twenty."""
    pin_set(user=user, pin=GOOD_PIN, current_password=password)
    looks = []
    real_check = pin_service.check_password
    monkeypatch.setattr(pin_service, "check_password", lambda *args: looks.append(1) or real_check(*args))

    run_in_parallel(20, lambda index: pin_check(user=user, pin=f"{2000 + index * 7:04d}"))

    assert len(looks) == 5
