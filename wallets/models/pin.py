"""The withdrawal PIN: a second secret a customer may set to guard money leaving a wallet.

Invariants (kept by wallets.services.pin):

- Only a hash is stored, made by Django's password hashers (``make_password``); the
  PIN itself is never stored, logged or put in an audit record.
- ``failed_attempts`` counts wrong guesses since the PIN was set or last verified. It
  only grows through a conditional UPDATE (``failed_attempts < MAX``), taken *before*
  the guess is checked, so parallel guesses can never be counted or checked beyond the
  limit. At the limit the PIN is locked: every guess is refused, the right one too,
  until the customer sets a new PIN with their account password.
- ``locked_at`` records when the limit was reached; it is informational, the lock
  itself is ``failed_attempts >= MAX``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_FAILED_ATTEMPTS = 5


class WithdrawalPin(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="withdrawal_pin")
    pin_hash = models.CharField(max_length=128, help_text="A Django password hash; never the PIN.")
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(failed_attempts__lte=MAX_FAILED_ATTEMPTS), name="wallets_pin_attempts_within_limit"
            )
        ]

    def __str__(self) -> str:
        return f"Withdrawal PIN of user {self.user_id}"

    @property
    def is_locked(self) -> bool:
        return self.failed_attempts >= MAX_FAILED_ATTEMPTS

    @property
    def remaining_attempts(self) -> int:
        return max(0, MAX_FAILED_ATTEMPTS - self.failed_attempts)
