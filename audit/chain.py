"""Hashing of the audit chain, and the one Ethereum client of the project.

The first half holds pure functions that the audit chain's writer and verifier share.

The second half ("Ethereum") is the thin web3 client that credit's score attestations use
now and the audit chain's anchoring will use later: compile the Vyper contract in
``contracts/``, deploy it and record where (``ContractDeployment``), send an attestation
transaction and wait for its receipt, and read an attestation back. Every failure is a
``ChainError`` (a ``DomainError``) with a stable code; callers catch those by name.

Which chain:

- ``BLOCKCHAIN_PROVIDER_URL`` set: any JSON-RPC node. Transactions are signed here with
  ``BLOCKCHAIN_PRIVATE_KEY`` (never logged, never stored, never sent); the contract is the
  one ``manage.py deploy_contract`` recorded for that chain (or
  ``BLOCKCHAIN_CONTRACT_ADDRESS``), checked to have code before use.
- Unset: an in-process eth-tester chain on py-evm, so the embedded default works offline.
  It lives only as long as the process: each process deploys the contract lazily on first
  use and keeps the address in memory. It is for development and tests, not a durable
  record (an attestation made by another process cannot be read back from it), and the
  production settings refuse it.

web3 is imported on first use, so the audit log's hashing never pays for it.
"""

import contextlib
import functools
import hashlib
import json
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from blockscore.exceptions import DomainError

# Python writes floats of this size with an exponent; PostgreSQL's jsonb gives them
# back as integers. Storing the integer keeps what is hashed equal to what is read.
_FLOAT_AS_INT_FROM = 1e16


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def normalise(value):
    """What a JSON column gives back: used before hashing so stored and hashed agree.

    Anything JSON cannot hold faithfully on every database is turned into what the
    database would return (or a string): non-JSON values become ``str``, NaN and
    infinities become strings, huge integral floats become integers, and NUL
    characters (refused by PostgreSQL) are dropped.
    """
    value = value if value is not None else {}
    native = _native(value)
    if native is not _NOT_NATIVE:
        return native  # what the round trip below would give, without it
    return _portable(json.loads(canonical_json(value)))


_NOT_NATIVE = object()


def _native(value):
    """A copy of ``value`` when it is plain JSON that every database gives back unchanged
    (dicts with str keys, lists, str without NUL, int, bool, None, finite floats below
    the exponent range), str subclasses (e.g. TextChoices members) turned into plain str
    as JSON turns them; ``_NOT_NATIVE`` otherwise. The common case of ``normalise``."""
    kind = type(value)
    if isinstance(value, str):  # str subclasses too (TextChoices members): as plain str
        return str.__str__(value) if "\x00" not in value else _NOT_NATIVE
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) and abs(value) < _FLOAT_AS_INT_FROM else _NOT_NATIVE
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if not isinstance(key, str) or "\x00" in key:
                return _NOT_NATIVE
            item = _native(item)
            if item is _NOT_NATIVE:
                return _NOT_NATIVE
            copied[str.__str__(key)] = item
        return copied
    if kind is list:
        copied = []
        for item in value:
            item = _native(item)
            if item is _NOT_NATIVE:
                return _NOT_NATIVE
            copied.append(item)
        return copied
    return _NOT_NATIVE


def _portable(value):
    if isinstance(value, dict):
        return {_portable(key): _portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_portable(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= _FLOAT_AS_INT_FROM:
            return int(value)
    return value


def event_content(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    target_type: str,
    target_id: str,
    changes: dict,
    metadata: dict,
    ip: str | None,
    user_agent: str,
    request_id: str,
) -> dict:
    return {
        "sequence": sequence,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "changes": changes,
        "metadata": metadata,
        "ip": ip,
        "user_agent": user_agent,
        "request_id": request_id,
    }


def chain_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def content_of(event) -> dict:
    """The hashed content of a stored AuditEvent row."""
    return event_content(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_repr=event.actor_repr,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        changes=event.changes,
        metadata=event.metadata,
        ip=event.ip,
        user_agent=event.user_agent,
        request_id=event.request_id,
    )


# --- Ethereum ------------------------------------------------------------------------------

ATTESTATIONS_CONTRACT = "ScoreAttestations"
CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
_EMPTY_DIGEST = "0" * 64


class ChainError(DomainError):
    code = "chain_error"
    status_code = 502
    default_detail = "The blockchain request failed."


class ChainDisabled(ChainError):
    code = "blockchain_disabled"
    status_code = 503
    default_detail = "On-chain features are turned off on this platform (ENABLE_BLOCKCHAIN)."


class ChainMisconfigured(ChainError):
    code = "chain_misconfigured"
    status_code = 503
    default_detail = "The blockchain connection is not configured."


class ChainUnavailable(ChainError):
    code = "chain_unavailable"
    status_code = 503
    default_detail = "The blockchain node could not be reached. Try again later."


class ContractNotDeployed(ChainError):
    code = "contract_not_deployed"
    status_code = 503
    default_detail = "The attestation contract is not deployed on this chain (manage.py deploy_contract)."


class ChainTransactionFailed(ChainError):
    """The chain refused a transaction (it reverted), e.g. a sender that is not the owner."""

    code = "chain_transaction_failed"
    status_code = 502
    default_detail = "The blockchain refused the transaction."


class AlreadyAttested(ChainTransactionFailed):
    code = "already_attested"
    status_code = 409
    default_detail = "This digest is already attested on chain."


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list
    bytecode: str
    compiler: str
    source_sha256: str

    def build_json(self) -> dict:
        """What ``contracts/build/<name>.json`` holds (for verifiers who read the chain themselves)."""
        return {
            "contract_name": self.name,
            "compiler": self.compiler,
            "source": f"contracts/{self.name}.vy",
            "source_sha256": self.source_sha256,
            "abi": self.abi,
            "bytecode": self.bytecode,
        }


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    contract_address: str | None = None


@dataclass(frozen=True)
class OnChainAttestation:
    digest: str
    block_number: int  # 0: the chain holds no such digest
    timestamp: int

    @property
    def exists(self) -> bool:
        return self.block_number > 0

    @property
    def recorded_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.timestamp, tz=UTC) if self.exists else None


def contract_source_path(name: str = ATTESTATIONS_CONTRACT) -> Path:
    return CONTRACTS_DIR / f"{name}.vy"


def contract_build_path(name: str = ATTESTATIONS_CONTRACT) -> Path:
    return CONTRACTS_DIR / "build" / f"{name}.json"


@functools.cache
def _compile(name: str, source: str) -> CompiledContract:
    import vyper
    from vyper.compiler import compile_code

    output = compile_code(source, output_formats=["abi", "bytecode"])
    return CompiledContract(
        name=name,
        abi=output["abi"],
        bytecode=output["bytecode"],
        compiler=f"vyper {vyper.__version__}",
        source_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
    )


def contract_compile(name: str = ATTESTATIONS_CONTRACT) -> CompiledContract:
    """Compile ``contracts/<name>.vy`` with the installed Vyper (cached per source text)."""
    return _compile(name, contract_source_path(name).read_text())


def _digest_bytes(digest: str) -> bytes:
    value = bytes.fromhex(digest.removeprefix("0x"))
    if len(value) != 32 or digest.removeprefix("0x") == _EMPTY_DIGEST:
        raise ValueError("a digest is 32 bytes (64 hex characters) and not all zeros")
    return value


def _hex(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else f"0x{text}"


class ChainClient:
    """One connection and one signing account. Transactions are signed locally and sent raw,
    so a JSON-RPC node never holds (or sees) the key; the key is kept only inside the
    ``eth_account`` object and never appears in a log line, an error or a row."""

    def __init__(self, w3, *, private_key: str, confirmation_timeout: int, in_process: bool = False):
        from eth_account import Account

        self.w3 = w3
        self.in_process = in_process
        self.confirmation_timeout = confirmation_timeout
        try:
            self._account = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise ChainMisconfigured("BLOCKCHAIN_PRIVATE_KEY is not a valid private key.") from exc
        self._chain_id: int | None = None

    def __repr__(self) -> str:
        kind = "in-process" if self.in_process else "json-rpc"
        return f"<ChainClient {kind} sender={self.sender}>"

    @property
    def sender(self) -> str:
        return self._account.address

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self._call(lambda: self.w3.eth.chain_id)
        return self._chain_id

    def _call(self, read):
        """Run a read against the node, mapping an unreachable node to ``ChainUnavailable``."""
        import requests

        try:
            return read()
        except (requests.RequestException, OSError) as exc:
            raise ChainUnavailable(f"The blockchain node did not answer: {type(exc).__name__}.") from exc

    def has_code(self, address: str) -> bool:
        return bool(self._call(lambda: self.w3.eth.get_code(self.w3.to_checksum_address(address))))

    def contract(self, address: str, compiled: CompiledContract):
        return self.w3.eth.contract(address=self.w3.to_checksum_address(address), abi=compiled.abi)

    def deploy(self, compiled: CompiledContract) -> Receipt:
        factory = self.w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
        return self.receipt_wait(self._send(factory.constructor()))

    def attest_send(self, address: str, compiled: CompiledContract, digest: str) -> str:
        """Send ``attest(digest)``; returns the transaction hash at once (``AlreadyAttested`` if
        the digest is on chain: the node refuses it before it is sent)."""
        return self._send(self.contract(address, compiled).functions.attest(_digest_bytes(digest)))

    def attest(self, address: str, compiled: CompiledContract, digest: str) -> Receipt:
        """Send ``attest(digest)`` and wait until it is mined."""
        return self.receipt_wait(self.attest_send(address, compiled, digest))

    def attestation(self, address: str, compiled: CompiledContract, digest: str) -> OnChainAttestation:
        call = self.contract(address, compiled).functions.attestations(_digest_bytes(digest))
        block_number, timestamp = self._call(call.call)
        return OnChainAttestation(digest=digest.removeprefix("0x"), block_number=block_number, timestamp=timestamp)

    def attestation_tx_hash(self, address: str, compiled: CompiledContract, record: OnChainAttestation) -> str:
        """The transaction that wrote ``record`` (found by its event in its block), or ""."""
        event = self.contract(address, compiled).events.Attested()
        logs = self._call(
            lambda: event.get_logs(
                from_block=record.block_number,
                to_block=record.block_number,
                argument_filters={"digest": _digest_bytes(record.digest)},
            )
        )
        return _hex(logs[0]["transactionHash"]) if logs else ""

    def transaction_known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (mined or waiting); a dropped one is not."""
        from web3.exceptions import TransactionNotFound

        try:
            self._call(lambda: self.w3.eth.get_transaction(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def receipt_wait(self, tx_hash: str) -> Receipt:
        """Wait for ``tx_hash`` to be mined (``ChainUnavailable`` after the confirmation timeout,
        ``ChainTransactionFailed`` if it reverted)."""
        from web3.exceptions import TimeExhausted

        try:
            with _send_lock if self.in_process else contextlib.nullcontext():
                receipt = self._call(
                    lambda: self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.confirmation_timeout)
                )
        except TimeExhausted as exc:
            timeout = self.confirmation_timeout
            raise ChainUnavailable(f"Transaction {tx_hash} was not mined within {timeout} s.") from exc
        if receipt["status"] != 1:
            raise ChainTransactionFailed(f"Transaction {tx_hash} reverted.")
        return Receipt(
            tx_hash=_hex(receipt["transactionHash"]),
            block_number=receipt["blockNumber"],
            contract_address=receipt.get("contractAddress"),
        )

    def _send(self, call) -> str:
        """Sign ``call`` locally with the next nonce and send it raw; the transaction hash."""
        from web3.exceptions import ContractLogicError, Web3RPCError

        with _send_lock:  # one nonce at a time from this process
            try:
                transaction = self._call(
                    lambda: call.build_transaction(
                        {
                            "from": self.sender,
                            "nonce": self.w3.eth.get_transaction_count(self.sender, "pending"),
                            "chainId": self.chain_id,
                        }
                    )
                )
                signed = self._account.sign_transaction(transaction)
                return _hex(self._call(lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction)))
            except (ContractLogicError, Web3RPCError, *_tester_failures()) as exc:
                raise _refusal(exc) from exc


def _tester_failures() -> tuple[type[Exception], ...]:
    try:
        from eth_tester.exceptions import TransactionFailed
    except ImportError:  # pragma: no cover - eth-tester is in requirements.txt
        return ()
    return (TransactionFailed,)


_RETRYABLE = ("nonce too low", "nonce too high", "already known", "replacement transaction underpriced")


def _refusal(exc: Exception) -> ChainError:
    """The chain's reason for refusing a transaction, as a domain error (the revert reason only)."""
    reason = str(getattr(exc, "message", None) or exc).strip()
    if "already attested" in reason:
        return AlreadyAttested()
    if any(marker in reason.lower() for marker in _RETRYABLE):
        # Another process sent with the same nonce first: worth sending again later.
        return ChainUnavailable(f"The node refused the transaction for now: {reason[:200]}")
    return ChainTransactionFailed(f"The blockchain refused the transaction: {reason[:200]}")


# One process-wide lock for sending (nonces) and for the in-process chain, which is not thread-safe.
_send_lock = threading.RLock()
_in_process: dict = {}


def _in_process_client() -> ChainClient:
    from web3 import EthereumTesterProvider, Web3

    with _send_lock:
        if "client" not in _in_process:
            provider = EthereumTesterProvider()
            keys = provider.ethereum_tester.backend.account_keys
            _in_process["client"] = ChainClient(
                Web3(provider),
                private_key=keys[0].to_hex(),
                confirmation_timeout=settings.BLOCKCHAIN_CONFIRMATION_TIMEOUT,
                in_process=True,
            )
            _in_process["keys"] = keys
        return _in_process["client"]


def in_process_account_key(index: int) -> str:
    """A funded account of the in-process chain (tests use another one as a non-owner)."""
    _in_process_client()
    return _in_process["keys"][index].to_hex()


def in_process_reset() -> None:
    """Forget the in-process chain (tests): the next use starts a fresh one."""
    with _send_lock:
        _in_process.clear()


def is_in_process() -> bool:
    """Whether the configured chain is the in-process one (no connection made)."""
    return settings.ENABLE_BLOCKCHAIN and not settings.BLOCKCHAIN_PROVIDER_URL


def client() -> ChainClient:
    """The configured chain; ``ChainDisabled`` when ENABLE_BLOCKCHAIN is off."""
    if not settings.ENABLE_BLOCKCHAIN:
        raise ChainDisabled()
    url = settings.BLOCKCHAIN_PROVIDER_URL
    if not url:
        if settings.ENVIRONMENT == "production":
            raise ChainMisconfigured(
                "Production needs BLOCKCHAIN_PROVIDER_URL: the in-process chain is for development and tests."
            )
        return _in_process_client()
    if not settings.BLOCKCHAIN_PRIVATE_KEY:
        raise ChainMisconfigured("BLOCKCHAIN_PROVIDER_URL is set but BLOCKCHAIN_PRIVATE_KEY is not.")
    from web3 import HTTPProvider, Web3

    timeout = settings.BLOCKCHAIN_REQUEST_TIMEOUT
    provider = HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
    return ChainClient(
        Web3(provider),
        private_key=settings.BLOCKCHAIN_PRIVATE_KEY,
        confirmation_timeout=settings.BLOCKCHAIN_CONFIRMATION_TIMEOUT,
    )


def contract_deploy(*, chain: ChainClient | None = None, name: str = ATTESTATIONS_CONTRACT, actor=None):
    """Compile ``contracts/<name>.vy``, deploy it from the configured account (its owner) and
    record the deployment (audited). Returns the ``ContractDeployment`` row.

    Not for the in-process chain, which deploys itself per process (``contract_address``)."""
    from django.db import transaction

    from audit.models import ContractDeployment
    from audit.services import audit_event_record

    chain = chain or client()
    if chain.in_process:
        raise ChainMisconfigured(
            "The in-process chain lives only as long as one process and deploys itself on first use; "
            "set BLOCKCHAIN_PROVIDER_URL to deploy to a node."
        )
    compiled = contract_compile(name)
    receipt = chain.deploy(compiled)
    with transaction.atomic():
        deployment = ContractDeployment.objects.create(
            name=name,
            chain_id=chain.chain_id,
            address=receipt.contract_address,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
            owner=chain.sender,
            compiler=compiled.compiler,
            source_sha256=compiled.source_sha256,
        )
        audit_event_record(
            action="chain.contract_deployed",
            actor=actor,
            target=deployment,
            metadata={
                "name": name,
                "chain_id": deployment.chain_id,
                "address": deployment.address,
                "tx_hash": deployment.tx_hash,
                "owner": deployment.owner,
            },
        )
    return deployment


def contract_address(chain: ChainClient, name: str = ATTESTATIONS_CONTRACT) -> str:
    """Where ``name`` lives on ``chain``: deployed lazily on the in-process chain; otherwise
    BLOCKCHAIN_CONTRACT_ADDRESS or the latest recorded deployment, which must have code."""
    if chain.in_process:
        with _send_lock:
            key = f"address:{name}"
            if key not in _in_process:
                _in_process[key] = chain.deploy(contract_compile(name)).contract_address
            return _in_process[key]
    from audit.models import ContractDeployment

    address = settings.BLOCKCHAIN_CONTRACT_ADDRESS
    if not address:
        address = (
            ContractDeployment.objects.filter(name=name, chain_id=chain.chain_id)
            .order_by("-deployed_at", "-id")
            .values_list("address", flat=True)
            .first()
        )
    if not address:
        raise ContractNotDeployed(
            f"{name} is not deployed on chain {chain.chain_id}: run manage.py deploy_contract "
            "or set BLOCKCHAIN_CONTRACT_ADDRESS."
        )
    if not chain.has_code(address):
        raise ContractNotDeployed(f"There is no contract at {address} on chain {chain.chain_id}.")
    return address
