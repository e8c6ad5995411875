"""The withdrawal PIN: set, change, remove, verify, and the check withdrawals call.

Invariants kept here (see also wallets.models.pin):

- Setting, changing and removing the PIN need the account password. Setting a new
  PIN is also how a locked PIN is reset: it clears the failed-attempt count.
- The PIN is stored only as a Django password hash and never appears in an audit
  record, a security event or an error.
- A guess first claims an attempt with one conditional UPDATE
  (``failed_attempts = failed_attempts + 1 WHERE failed_attempts < 5``) and only then
  is checked, so N parallel guesses check at most the 5 the counter lets through;
  the rest are refused as locked without looking at the PIN. A right guess gives
  the attempt back by resetting the count to zero; a wrong one keeps it.
- The guess that takes the last attempt locks the PIN and records that once
  (``wallet_pin.locked`` and an ``account_locked`` security event, scope
  ``withdrawal_pin``).

``pin_check`` is what money-moving services call. The count of a wrong guess must
survive the refusal, so call it before opening the transaction that moves the money:
inside an outer ``transaction.atomic`` the refusal would roll the count back too.
"""

import re

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.exceptions import InvalidPassword
from blockscore import auditing
from blockscore.exceptions import ValidationFailed
from wallets import exceptions
from wallets.models.pin import MAX_FAILED_ATTEMPTS, WithdrawalPin

PIN_RE = re.compile(r"[0-9]{4,6}")
PIN_FORMAT_MESSAGE = "The PIN must be 4 to 6 digits."


def is_weak_pin(pin: str) -> bool:
    """A PIN anyone would try first: one digit or block repeated (0000, 1212, 123123)
    or a straight run up or down (1234, 3456, 987654)."""
    length = len(pin)
    for period in range(1, length // 2 + 1):
        if length % period == 0 and pin == pin[:period] * (length // period):
            return True
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {-1})


def _validate_new_pin(pin) -> None:
    if not isinstance(pin, str) or not PIN_RE.fullmatch(pin):
        raise ValidationFailed(PIN_FORMAT_MESSAGE, extra={"errors": {"pin": [PIN_FORMAT_MESSAGE]}})
    if is_weak_pin(pin):
        raise exceptions.WeakPin(extra={"errors": {"pin": [exceptions.WeakPin.default_detail]}})


def _require_password(user, current_password: str) -> None:
    if not user.check_password(current_password):
        raise InvalidPassword(extra={"errors": {"current_password": ["The current password is not correct."]}})


def pin_is_set(user) -> bool:
    return WithdrawalPin.objects.filter(user=user).exists()


@transaction.atomic
def pin_set(*, user, pin: str, current_password: str) -> WithdrawalPin:
    """Set the PIN, or replace it; either way the failed-attempt count starts again at
    zero, which is how a customer lifts a lock."""
    _require_password(user, current_password)
    _validate_new_pin(pin)
    pin_hash = make_password(pin)
    record = WithdrawalPin.objects.select_for_update().filter(user=user).first()
    if record is None:
        try:
            with transaction.atomic():  # a savepoint: a parallel first PUT may win the unique user
                record = WithdrawalPin.objects.create(user=user, pin_hash=pin_hash)
        except IntegrityError:
            record = WithdrawalPin.objects.select_for_update().get(user=user)
        else:
            auditing.record_audit(action="wallet_pin.set", actor=user, target=user)
            return record
    was_locked = record.is_locked
    record.pin_hash = pin_hash
    record.failed_attempts = 0
    record.locked_at = None
    record.save(update_fields=["pin_hash", "failed_attempts", "locked_at", "updated_at"])
    auditing.record_audit(action="wallet_pin.changed", actor=user, target=user, metadata={"was_locked": was_locked})
    return record


@transaction.atomic
def pin_remove(*, user, current_password: str) -> None:
    _require_password(user, current_password)
    deleted, _ = WithdrawalPin.objects.filter(user=user).delete()
    if not deleted:
        raise exceptions.PinNotSet()
    auditing.record_audit(action="wallet_pin.removed", actor=user, target=user)


def pin_verify(*, user, pin: str) -> None:
    """Check a PIN the customer has set: returns, or raises ``InvalidPin`` (with the
    attempts left), ``PinLocked`` or ``PinNotSet``. A right PIN resets the count."""
    record = WithdrawalPin.objects.filter(user=user).first()
    if record is None:
        raise exceptions.PinNotSet()
    _guess(user, record, pin)


def pin_check(*, user, pin: str | None) -> None:
    """The gate for money leaving a customer's wallet.

    Passes when the user has no PIN; raises ``PinRequired`` when they have one and
    ``pin`` is missing or empty; otherwise as ``pin_verify``. Call it outside (before)
    the transaction that moves the money, so a wrong guess stays counted.
    """
    record = WithdrawalPin.objects.filter(user=user).first()
    if record is None:
        return
    if not pin:
        raise exceptions.PinRequired()
    _guess(user, record, pin)


def _guess(user, record: WithdrawalPin, pin) -> None:
    with transaction.atomic():
        claimed = WithdrawalPin.objects.filter(pk=record.pk, failed_attempts__lt=MAX_FAILED_ATTEMPTS).update(
            failed_attempts=F("failed_attempts") + 1
        )
        if not claimed:
            raise exceptions.PinLocked()
        # Our UPDATE holds the row until this block commits, so this reads our own count.
        attempt = WithdrawalPin.objects.filter(pk=record.pk).values_list("failed_attempts", flat=True).get()

    if isinstance(pin, str) and PIN_RE.fullmatch(pin) and check_password(pin, record.pin_hash):
        WithdrawalPin.objects.filter(pk=record.pk).update(failed_attempts=0, locked_at=None)
        return
    if attempt < MAX_FAILED_ATTEMPTS:
        raise exceptions.InvalidPin(extra={"remaining_attempts": MAX_FAILED_ATTEMPTS - attempt})
    _lock(user, record)
    raise exceptions.PinLocked()


@transaction.atomic
def _lock(user, record: WithdrawalPin) -> None:
    # A right PIN verified in parallel may already have reset the count: then it is not locked.
    if not WithdrawalPin.objects.filter(pk=record.pk, failed_attempts__gte=MAX_FAILED_ATTEMPTS).update(
        locked_at=timezone.now()
    ):
        return
    auditing.record_audit(
        action="wallet_pin.locked", actor=user, target=user, metadata={"failed_attempts": MAX_FAILED_ATTEMPTS}
    )
    auditing.record_security_event(
        event_type="account_locked", user=user, details={"scope": "withdrawal_pin", "failures": MAX_FAILED_ATTEMPTS}
    )
