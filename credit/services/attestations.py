"""Score attestations: a score's digest written on chain, and checked against it later.

What goes on chain is only ``sha256(canonical JSON of {v, subject, score, model_version,
computed_at})`` (``score_digest``):

- ``subject`` is the customer's pseudonym, HMAC-SHA256 keyed with ATTESTATION_PSEUDONYM_KEY
  (derived from SECRET_KEY when unset) over the customer's public id. Without the key nobody
  can link a digest to a customer, nor one customer's attestations to each other's; with
  the inputs that ``GET credit/attestations/{id}`` shows, the customer (or a lender they
  hand them to) can recompute the digest and look it up on chain themselves.
- No e-mail, name or other personal data is an input, and the digest is one-way.

Invariants:

- One attestation per score (a unique constraint); asking again returns it, and a failed
  one is retried.
- ``attestation_submit`` is the Celery task's body, queued after commit (with the
  in-process chain it runs in the requesting process after commit instead: a worker
  process would write to a chain of its own). It is safe to run twice, or concurrently: a
  confirmed attestation is never sent again; one already on chain (an earlier run died
  after sending) is confirmed from the chain; a transaction still known to the node is
  waited for, not resent; and the contract itself refuses a second write of a digest,
  which is then read back as confirmed.
- ``attestation_verify`` recomputes the digest from the stored score as it is now, so a
  score changed in the database no longer matches what the chain holds.
"""

import functools
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import chain
from audit.services import audit_event_record
from blockscore.exceptions import NotFound
from blockscore.queue import enqueue
from credit.models import CreditScore, ScoreAttestation

logger = logging.getLogger(__name__)

DIGEST_VERSION = 1


def _pseudonym_key() -> bytes:
    key = settings.ATTESTATION_PSEUDONYM_KEY
    if key:
        return key.encode("utf-8")
    # A key of its own, derived from SECRET_KEY: the pseudonym reveals nothing about it.
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), b"blockscore.attestation-pseudonym", "sha256").digest()


def customer_pseudonym(user) -> str:
    """The customer's stable pseudonym: HMAC-SHA256(key, public id), hex."""
    return hmac.new(_pseudonym_key(), str(user.public_id).encode("ascii"), hashlib.sha256).hexdigest()


def digest_inputs(score: CreditScore) -> dict:
    """Everything the digest covers, as hashed (the customer may recompute it from this)."""
    return {
        "v": DIGEST_VERSION,
        "subject": customer_pseudonym(score.user),
        "score": score.score,
        "model_version": score.model.version,
        "computed_at": score.computed_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def digest_of(inputs: dict) -> str:
    return hashlib.sha256(chain.canonical_json(inputs).encode("utf-8")).hexdigest()


def score_digest(score: CreditScore) -> str:
    return digest_of(digest_inputs(score))


# --- reads for the API ---------------------------------------------------------------------


def own_score(*, user, score_id) -> CreditScore:
    score = CreditScore.objects.select_related("model", "user").filter(user=user, public_id=score_id).first()
    if score is None:
        raise NotFound("No such score.")
    return score


def own_attestation(*, user, attestation_id) -> ScoreAttestation:
    attestation = (
        ScoreAttestation.objects.select_related("score__model", "score__user")
        .filter(score__user=user, public_id=attestation_id)
        .first()
    )
    if attestation is None:
        raise NotFound("No such attestation.")
    return attestation


# --- request and submission ----------------------------------------------------------------


def attestation_request(*, score: CreditScore, actor) -> ScoreAttestation:
    """Attest ``score`` on chain: record a pending attestation (audited) and queue its
    submission after commit. The score's existing attestation is returned as it is, except a
    failed one, which is tried again. ``ChainDisabled`` (503 ``blockchain_disabled``) when
    ENABLE_BLOCKCHAIN is off."""
    if not settings.ENABLE_BLOCKCHAIN:
        raise chain.ChainDisabled("Score attestations are turned off on this platform.")
    inputs = digest_inputs(score)
    with transaction.atomic():
        # Lock the score: two requests for it make one attestation.
        CreditScore.objects.select_for_update().filter(pk=score.pk).first()
        attestation = ScoreAttestation.objects.select_for_update().filter(score=score).first()
        if attestation is not None and attestation.status != ScoreAttestation.Status.FAILED:
            return attestation
        if attestation is None:
            attestation = ScoreAttestation.objects.create(
                score=score, subject=inputs["subject"], digest=digest_of(inputs)
            )
            action = "credit.attestation_requested"
        else:
            attestation.status, attestation.error = ScoreAttestation.Status.PENDING, ""
            attestation.save(update_fields=["status", "error"])
            action = "credit.attestation_retried"
        audit_event_record(
            action=action,
            actor=actor,
            target=attestation,
            metadata={"score": str(score.public_id), "digest": attestation.digest},
        )
        if chain.is_in_process():
            # The in-process chain lives in this process: a worker would write to its own.
            transaction.on_commit(functools.partial(_submit_here, attestation.pk))
        else:
            enqueue("credit.submit_attestation", attestation.pk)
    return attestation


def _submit_here(attestation_id: int) -> None:
    try:
        attestation_submit(attestation_id=attestation_id)
    except chain.ChainError:  # recorded on the attestation; asking again retries
        logger.warning("attestation not submitted", extra={"attestation": attestation_id}, exc_info=True)


def _update(attestation: ScoreAttestation, **fields) -> None:
    for name, value in fields.items():
        setattr(attestation, name, value)
    ScoreAttestation.objects.filter(pk=attestation.pk).update(**fields)


def attestation_submit(*, attestation_id: int) -> ScoreAttestation | None:
    """Write the attestation's digest on chain and record the transaction, block and status.

    Idempotent (see the module docstring). ``ChainUnavailable`` is recorded in ``error`` and
    raised again, so the task retries; any other chain error fails the attestation."""
    attestation = ScoreAttestation.objects.filter(pk=attestation_id).first()
    if attestation is None or attestation.status in (ScoreAttestation.Status.CONFIRMED, ScoreAttestation.Status.FAILED):
        return attestation
    try:
        client = chain.client()
        compiled = chain.contract_compile()
        address = chain.contract_address(client)
        record = client.attestation(address, compiled, attestation.digest)
        tx_hash = attestation.tx_hash if attestation.contract_address == address else ""
        if not record.exists:
            if not tx_hash or not client.transaction_known(tx_hash):
                try:
                    tx_hash = client.attest_send(address, compiled, attestation.digest)
                except chain.AlreadyAttested:  # a concurrent run wrote it first
                    tx_hash = ""
                else:
                    _update(
                        attestation,
                        status=ScoreAttestation.Status.SUBMITTED,
                        chain_id=client.chain_id,
                        contract_address=address,
                        tx_hash=tx_hash,
                        submitted_at=timezone.now(),
                    )
            if tx_hash:
                client.receipt_wait(tx_hash)
            record = client.attestation(address, compiled, attestation.digest)
        if not record.exists:
            raise chain.ChainTransactionFailed("The transaction was mined but the chain holds no such digest.")
        if not tx_hash:
            tx_hash = client.attestation_tx_hash(address, compiled, record)
    except chain.ChainUnavailable as exc:
        _update(attestation, error=f"{exc.code}: {exc.detail}"[:300])
        raise
    except chain.ChainError as exc:
        with transaction.atomic():
            _update(attestation, status=ScoreAttestation.Status.FAILED, error=f"{exc.code}: {exc.detail}"[:300])
            audit_event_record(
                action="credit.attestation_failed",
                target=attestation,
                metadata={"digest": attestation.digest, "error": exc.code},
            )
        return attestation
    with transaction.atomic():
        _update(
            attestation,
            status=ScoreAttestation.Status.CONFIRMED,
            chain_id=client.chain_id,
            contract_address=address,
            tx_hash=tx_hash,
            block_number=record.block_number,
            submitted_at=attestation.submitted_at or timezone.now(),
            confirmed_at=timezone.now(),
            error="",
        )
        audit_event_record(
            action="credit.attestation_confirmed",
            target=attestation,
            metadata={
                "digest": attestation.digest,
                "chain_id": attestation.chain_id,
                "contract": address,
                "tx_hash": tx_hash,
                "block_number": record.block_number,
            },
        )
    return attestation


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the chain says about an attestation, now.

    ``matches``: the digest recomputed from the stored score is the attested one and the
    chain holds it; None when the chain could not be asked (``error`` says why)."""

    matches: bool | None
    recomputed_digest: str
    block_number: int | None = None
    recorded_at: datetime | None = None
    checked_at: datetime | None = None
    error_code: str | None = None
    error_detail: str | None = None


def attestation_verify(attestation: ScoreAttestation) -> Verification:
    """Read the chain and say whether it holds the digest of the stored score as it is now."""
    recomputed = score_digest(attestation.score)
    now = timezone.now()
    if not attestation.contract_address:
        return Verification(matches=False, recomputed_digest=recomputed, checked_at=now)
    try:
        client = chain.client()
        if client.chain_id != attestation.chain_id:
            raise chain.ChainMisconfigured(
                f"The attestation is on chain {attestation.chain_id}; this platform is connected to "
                f"chain {client.chain_id}."
            )
        if not client.has_code(attestation.contract_address):
            raise chain.ContractNotDeployed(
                f"There is no contract at {attestation.contract_address} on chain {client.chain_id} "
                "(an in-process development chain forgets everything when its process ends)."
            )
        record = client.attestation(attestation.contract_address, chain.contract_compile(), recomputed)
    except chain.ChainError as exc:
        return Verification(
            matches=None, recomputed_digest=recomputed, checked_at=now, error_code=exc.code, error_detail=exc.detail
        )
    return Verification(
        matches=record.exists and recomputed == attestation.digest,
        recomputed_digest=recomputed,
        block_number=record.block_number or None,
        recorded_at=record.recorded_at,
        checked_at=now,
    )
