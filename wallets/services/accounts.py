"""Opening accounts: customer wallets (one per currency) and the system accounts."""

import secrets

from django.db import IntegrityError, transaction

from audit.services import audit_event_record
from blockscore import money
from wallets.exceptions import WalletExists
from wallets.models import LedgerAccount, luhn_check_digit

_PREFIX = {True: "1", False: "9"}  # customer wallets start with 1, system accounts with 9


def new_account_number(*, customer: bool) -> str:
    base = _PREFIX[customer] + f"{secrets.randbelow(10**10):010d}"
    return base + luhn_check_digit(base)


def _create_with_number(**fields) -> LedgerAccount:
    for _ in range(5):  # a number collision is a one-in-ten-billion event; try again
        try:
            with transaction.atomic():
                return LedgerAccount.objects.create(
                    number=new_account_number(customer=fields["kind"] == LedgerAccount.Kind.CUSTOMER_WALLET), **fields
                )
        except IntegrityError:
            existing = _existing(fields)
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate an account number")


def _existing(fields) -> LedgerAccount | None:
    lookup = {key: fields[key] for key in ("kind", "currency", "owner", "rail") if key in fields}
    return LedgerAccount.objects.filter(**lookup).first()


def system_account(kind: str, currency: str, rail: str = "") -> LedgerAccount:
    """The system account of this kind, currency (and rail), created on first use."""
    money.currency(currency)
    if kind == LedgerAccount.Kind.CUSTOMER_WALLET:
        raise ValueError("customer wallets are opened with wallet_open")
    existing = LedgerAccount.objects.filter(kind=kind, currency=currency, rail=rail, owner__isnull=True).first()
    if existing is not None:
        return existing
    name = f"{LedgerAccount.Kind(kind).label} {currency}" + (f" ({rail})" if rail else "")
    return _create_with_number(kind=kind, currency=currency, rail=rail, name=name)


@transaction.atomic
def wallet_open(*, owner, currency: str) -> LedgerAccount:
    """Open the owner's wallet in ``currency`` (or return the one they have)."""
    money.currency(currency)
    existing = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.CUSTOMER_WALLET, owner=owner, currency=currency
    ).first()
    if existing is not None:
        return existing
    wallet = _create_with_number(kind=LedgerAccount.Kind.CUSTOMER_WALLET, owner=owner, currency=currency)
    audit_event_record(action="wallet.opened", actor=owner, target=wallet, changes={"currency": {"after": currency}})
    return wallet


@transaction.atomic
def wallet_create(*, owner, currency: str) -> LedgerAccount:
    """Open a new wallet; a customer has one wallet per currency (WalletExists otherwise)."""
    if LedgerAccount.objects.filter(kind=LedgerAccount.Kind.CUSTOMER_WALLET, owner=owner, currency=currency).exists():
        raise WalletExists()
    return wallet_open(owner=owner, currency=currency)


@transaction.atomic
def wallet_set_status(*, account: LedgerAccount, status: str, actor, reason: str) -> LedgerAccount:
    """Freeze, unfreeze or close an account (audited with the reason)."""
    account = LedgerAccount.objects.select_for_update().get(pk=account.pk)
    if status not in LedgerAccount.Status.values:
        raise ValueError(f"unknown status {status!r}")
    if account.status == status:
        return account
    before = account.status
    account.status = status
    account.save(update_fields=["status"])
    audit_event_record(
        action="wallet.status_changed",
        actor=actor,
        target=account,
        changes={"status": {"before": before, "after": status}},
        metadata={"reason": reason},
    )
    return account
