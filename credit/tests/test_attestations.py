"""Score attestations: a score's digest on chain, through the API, the Celery task and the
contract; on the in-process eth-tester chain, and on a real JSON-RPC node (anvil)."""

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit import chain
from audit.models import AuditEvent, ContractDeployment
from conftest import client_for
from credit.models import CreditScore, ScoreAttestation, ScoringModel
from credit.services import attestations

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_process_chain(settings):
    """The embedded default: no node configured, a fresh in-process chain for each test."""
    settings.ENABLE_BLOCKCHAIN = True
    settings.BLOCKCHAIN_PROVIDER_URL = ""
    settings.BLOCKCHAIN_PRIVATE_KEY = ""
    settings.BLOCKCHAIN_CONTRACT_ADDRESS = ""
    chain.in_process_reset()
    yield
    chain.in_process_reset()


def make_score(user, *, score: int = 712, minutes_ago: int = 0) -> CreditScore:
    return CreditScore.objects.create(
        user=user,
        model=ScoringModel.objects.get(status=ScoringModel.Status.CHAMPION),
        score=score,
        band="good",
        pd=Decimal("0.081200"),
        reason_codes=[],
        inputs={},
        inputs_hash="0" * 64,
        trigger=CreditScore.Trigger.ON_DEMAND,
        computed_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def attest(client, score, django_capture_on_commit_callbacks):
    """POST credit/attestations and run what was queued after commit (the Celery task, eagerly)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/credit/attestations", {"score": str(score.public_id)}, format="json")
    return response


# --- the contract ----------------------------------------------------------------------------


def test_the_committed_build_matches_a_fresh_compilation_of_the_source():
    committed = json.loads(chain.contract_build_path().read_text())

    fresh = chain.contract_compile().build_json()

    assert committed == fresh, "contracts/build is stale: run manage.py deploy_contract --write-build"


def test_only_the_owner_may_write():
    owner = chain.client()
    address = chain.contract_address(owner)
    stranger = chain.ChainClient(owner.w3, private_key=chain.in_process_account_key(1), confirmation_timeout=5)
    digest = hashlib.sha256(b"not yours to write").hexdigest()

    with pytest.raises(chain.ChainTransactionFailed, match="not the owner"):
        stranger.attest(address, chain.contract_compile(), digest)

    assert not owner.attestation(address, chain.contract_compile(), digest).exists


def test_the_contract_refuses_the_same_digest_twice():
    client = chain.client()
    address, compiled = chain.contract_address(client), chain.contract_compile()
    digest = hashlib.sha256(b"once").hexdigest()
    first = client.attest(address, compiled, digest)

    with pytest.raises(chain.AlreadyAttested):
        client.attest(address, compiled, digest)

    record = client.attestation(address, compiled, digest)
    assert record.block_number == first.block_number
    assert client.contract(address, compiled).functions.count().call() == 1


# --- through the API ----------------------------------------------------------------------------


def test_a_score_is_attested_end_to_end_and_the_chain_matches(user, django_capture_on_commit_callbacks):
    score = make_score(user)
    client = client_for(user)

    response = attest(client, score, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"  # as answered, before the task ran
    assert body["score"] == str(score.public_id)
    attestation = ScoreAttestation.objects.get(public_id=body["id"])
    assert attestation.status == ScoreAttestation.Status.CONFIRMED
    assert attestation.tx_hash.startswith("0x") and len(attestation.tx_hash) == 66
    assert attestation.block_number > 0
    assert attestation.chain_id == chain.client().chain_id
    assert attestation.digest == attestations.score_digest(score)
    assert AuditEvent.objects.filter(
        action="credit.attestation_requested", target_id=str(attestation.public_id)
    ).exists()
    assert AuditEvent.objects.filter(
        action="credit.attestation_confirmed", target_id=str(attestation.public_id)
    ).exists()

    shown = client.get(f"/api/v1/credit/attestations/{attestation.public_id}")

    assert shown.status_code == 200
    data = shown.json()
    assert data["status"] == "confirmed"
    assert data["tx_hash"] == attestation.tx_hash
    assert data["verified"]["matches"] is True
    assert data["verified"]["block_number"] == attestation.block_number
    assert data["verified"]["recorded_at"] is not None
    assert data["verified"]["error"] is None
    assert attestations.digest_of(data["digest_inputs"]) == data["digest"]


def test_changing_the_stored_score_breaks_the_match(user, django_capture_on_commit_callbacks):
    score = make_score(user, score=640)
    client = client_for(user)
    attestation_id = attest(client, score, django_capture_on_commit_callbacks).json()["id"]

    CreditScore.objects.filter(pk=score.pk).update(score=820)
    shown = client.get(f"/api/v1/credit/attestations/{attestation_id}").json()

    assert shown["verified"]["matches"] is False
    assert shown["verified"]["recomputed_digest"] != shown["digest"]
    assert shown["verified"]["block_number"] is None


def test_asking_twice_gives_the_same_attestation_sent_once(user, django_capture_on_commit_callbacks):
    score = make_score(user)
    client = client_for(user)
    first = attest(client, score, django_capture_on_commit_callbacks).json()
    block = chain.client().w3.eth.block_number

    second = attest(client, score, django_capture_on_commit_callbacks)

    assert second.status_code == 202
    assert second.json()["id"] == first["id"]
    assert second.json()["status"] == "confirmed"
    assert ScoreAttestation.objects.filter(score=score).count() == 1
    assert chain.client().w3.eth.block_number == block  # nothing sent again


def test_the_task_never_resends_a_confirmed_attestation(user, django_capture_on_commit_callbacks):
    attestation_id = attest(client_for(user), make_score(user), django_capture_on_commit_callbacks).json()["id"]
    attestation = ScoreAttestation.objects.get(public_id=attestation_id)
    block = chain.client().w3.eth.block_number

    again = attestations.attestation_submit(attestation_id=attestation.pk)

    assert again.status == ScoreAttestation.Status.CONFIRMED
    assert again.tx_hash == attestation.tx_hash
    assert chain.client().w3.eth.block_number == block


def test_a_run_that_died_after_sending_is_confirmed_from_the_chain(user):
    """The digest reached the chain but the row still says pending: the next run finds it
    there, with its transaction, instead of sending it again."""
    score = make_score(user)
    attestation = ScoreAttestation.objects.create(
        score=score, subject=attestations.customer_pseudonym(user), digest=attestations.score_digest(score)
    )
    client = chain.client()
    sent = client.attest(chain.contract_address(client), chain.contract_compile(), attestation.digest)

    attestations.attestation_submit(attestation_id=attestation.pk)

    attestation.refresh_from_db()
    assert attestation.status == ScoreAttestation.Status.CONFIRMED
    assert attestation.tx_hash == sent.tx_hash
    assert attestation.block_number == sent.block_number


def test_another_customers_score_and_attestation_are_not_found(user, django_capture_on_commit_callbacks):
    owner = UserFactory()
    score = make_score(owner)
    theirs = attest(client_for(owner), score, django_capture_on_commit_callbacks).json()["id"]
    mine = client_for(user)

    posted = attest(mine, score, django_capture_on_commit_callbacks)
    shown = mine.get(f"/api/v1/credit/attestations/{theirs}")

    assert posted.status_code == 404
    assert shown.status_code == 404
    assert ScoreAttestation.objects.count() == 1


def test_with_the_blockchain_off_attesting_is_a_clear_503(user, settings, django_capture_on_commit_callbacks):
    score = make_score(user)
    client = client_for(user)
    attestation_id = attest(client, score, django_capture_on_commit_callbacks).json()["id"]
    settings.ENABLE_BLOCKCHAIN = False

    refused = attest(client, make_score(user, minutes_ago=5), django_capture_on_commit_callbacks)
    shown = client.get(f"/api/v1/credit/attestations/{attestation_id}")

    assert refused.status_code == 503
    assert refused.json()["code"] == "blockchain_disabled"
    assert ScoreAttestation.objects.count() == 1
    assert shown.status_code == 200  # the stored record is still shown...
    assert shown.json()["verified"]["matches"] is None  # ...but the chain was not asked
    assert shown.json()["verified"]["error"]["code"] == "blockchain_disabled"


def test_a_failed_attestation_is_kept_with_its_error_and_retried_on_request(
    user, settings, django_capture_on_commit_callbacks
):
    score = make_score(user)
    client = client_for(user)
    with django_capture_on_commit_callbacks() as queued:
        client.post("/api/v1/credit/attestations", {"score": str(score.public_id)}, format="json")
    settings.ENABLE_BLOCKCHAIN = False  # turned off before the task ran
    for callback in queued:
        callback()
    attestation = ScoreAttestation.objects.get(score=score)
    assert attestation.status == ScoreAttestation.Status.FAILED
    assert attestation.error.startswith("blockchain_disabled")
    settings.ENABLE_BLOCKCHAIN = True

    retried = attest(client, score, django_capture_on_commit_callbacks)

    assert retried.status_code == 202
    attestation.refresh_from_db()
    assert attestation.status == ScoreAttestation.Status.CONFIRMED
    assert attestation.error == ""
    assert AuditEvent.objects.filter(action="credit.attestation_retried").count() == 1


def test_the_digest_holds_a_keyed_pseudonym_and_no_personal_data(user, settings):
    settings.ATTESTATION_PSEUDONYM_KEY = "pseudonym-key-for-tests"
    score = make_score(user, score=733)

    inputs = attestations.digest_inputs(score)

    assert set(inputs) == {"v", "subject", "score", "model_version", "computed_at"}
    expected = hmac.new(b"pseudonym-key-for-tests", str(user.public_id).encode(), hashlib.sha256).hexdigest()
    assert inputs["subject"] == expected
    assert inputs["score"] == 733
    assert inputs["model_version"] == score.model.version
    hashed = chain.canonical_json(inputs)
    for personal in (user.email, user.first_name, user.last_name, str(user.public_id)):
        assert personal and personal not in hashed
    assert attestations.score_digest(score) == hashlib.sha256(hashed.encode()).hexdigest()
    settings.ATTESTATION_PSEUDONYM_KEY = "another-key"
    assert attestations.digest_inputs(score)["subject"] != expected  # unlinkable without the key


def test_the_in_process_chain_is_not_deployed_by_the_command():
    with pytest.raises(CommandError, match="in-process"):
        call_command("deploy_contract")
    assert not ContractDeployment.objects.exists()


def test_production_refuses_the_in_process_chain(settings):
    settings.ENVIRONMENT = "production"

    with pytest.raises(chain.ChainMisconfigured, match="BLOCKCHAIN_PROVIDER_URL"):
        chain.client()


def test_a_node_without_a_signing_key_is_refused(settings):
    settings.BLOCKCHAIN_PROVIDER_URL = "http://127.0.0.1:9"

    with pytest.raises(chain.ChainMisconfigured, match="BLOCKCHAIN_PRIVATE_KEY"):
        chain.client()


def test_an_unreachable_node_leaves_the_attestation_pending_for_a_retry(user, settings):
    score = make_score(user)
    attestation = ScoreAttestation.objects.create(
        score=score, subject=attestations.customer_pseudonym(user), digest=attestations.score_digest(score)
    )
    settings.BLOCKCHAIN_PROVIDER_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.BLOCKCHAIN_PRIVATE_KEY = "0x" + "11" * 32
    settings.BLOCKCHAIN_REQUEST_TIMEOUT = 2

    with pytest.raises(chain.ChainUnavailable):
        attestations.attestation_submit(attestation_id=attestation.pk)

    attestation.refresh_from_db()
    assert attestation.status == ScoreAttestation.Status.PENDING
    assert attestation.error.startswith("chain_unavailable")


# --- a real JSON-RPC node ------------------------------------------------------------------------


def test_attestation_on_a_json_rpc_node(anvil, settings, user, django_capture_on_commit_callbacks, capsys):
    settings.BLOCKCHAIN_PROVIDER_URL = anvil.url
    settings.BLOCKCHAIN_PRIVATE_KEY = anvil.keys[0]

    call_command("deploy_contract")

    deployment = ContractDeployment.objects.get()
    assert deployment.chain_id == anvil.chain_id
    assert deployment.owner == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert anvil.keys[0][2:] not in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="chain.contract_deployed", target_id=str(deployment.pk)).exists()

    score = make_score(user)
    client = client_for(user)
    response = attest(client, score, django_capture_on_commit_callbacks)
    attestation = ScoreAttestation.objects.get(public_id=response.json()["id"])
    assert attestation.status == ScoreAttestation.Status.CONFIRMED, attestation.error
    assert attestation.contract_address == deployment.address
    assert attestation.chain_id == anvil.chain_id
    shown = client.get(f"/api/v1/credit/attestations/{attestation.public_id}").json()
    assert shown["verified"]["matches"] is True
    assert shown["verified"]["block_number"] == attestation.block_number

    stranger = chain.ChainClient(chain.client().w3, private_key=anvil.keys[1], confirmation_timeout=10)
    with pytest.raises(chain.ChainTransactionFailed, match="not the owner"):
        stranger.attest(deployment.address, chain.contract_compile(), hashlib.sha256(b"x").hexdigest())
    with pytest.raises(chain.AlreadyAttested):
        chain.client().attest(deployment.address, chain.contract_compile(), attestation.digest)

    CreditScore.objects.filter(pk=score.pk).update(score=score.score + 1)
    assert client.get(f"/api/v1/credit/attestations/{attestation.public_id}").json()["verified"]["matches"] is False


def test_a_nonce_race_is_retried_and_a_revert_is_not():
    assert isinstance(chain._refusal(ValueError("nonce too low: next nonce 7, tx nonce 6")), chain.ChainUnavailable)
    assert type(chain._refusal(ValueError("execution reverted: not the owner"))) is chain.ChainTransactionFailed
    assert isinstance(chain._refusal(ValueError("execution reverted: already attested")), chain.AlreadyAttested)


def test_the_client_never_shows_its_key():
    key = chain.in_process_account_key(0)

    shown = repr(chain.client())

    assert key[2:] not in shown and key not in shown
