"""Pre-transfer checks: the hook through which higher apps refuse a money movement.

``wallets`` knows nothing of KYC or sanctions. Compliance registers checks here in its
``AppConfig.ready()`` (e.g. "a frozen customer may not send", "unverified customers have
small limits"); the ledger's movement services call ``run_pre_transfer_checks`` explicitly
before posting, inside the same transaction. A check raises ``TransferRefused`` (or a
subclass with its own stable code) to refuse; returning means it has no objection.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class MovementIntent:
    kind: str  # "transfer", "withdrawal", "deposit", "fx_exchange", "payment"
    initiator: Any  # the user asking
    source: Any | None  # LedgerAccount debited, if a customer wallet
    destination: Any | None  # LedgerAccount credited, if a customer wallet
    amount: Decimal
    currency: str
    metadata: dict = field(default_factory=dict)


PreTransferCheck = Callable[[MovementIntent], None]
_checks: dict[str, PreTransferCheck] = {}


def register_pre_transfer_check(name: str, check: PreTransferCheck) -> None:
    _checks[name] = check


def registered_checks() -> dict[str, PreTransferCheck]:
    return dict(_checks)


def run_pre_transfer_checks(intent: MovementIntent) -> None:
    for _name, check in sorted(_checks.items()):
        check(intent)
