"""The Idempotency-Key contract, through a test-only money-like endpoint on the real database.

No money endpoint exists in this package, so the module defines one (served by
``blockscore.tests.idempotency_urls``, not by the project's urls): ``posting_create``
writes one JobRun row per effect, so "posted once" is a row count.
"""

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore.exceptions import DomainError, TooManyRequests
from blockscore.idempotency import idempotent_post
from blockscore.jobs import run_housekeeping
from blockscore.models import IdempotencyRecord, JobRun
from blockscore.testing import run_in_parallel
from conftest import client_for

pytestmark = pytest.mark.urls("blockscore.tests.idempotency_urls")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

PATH = "/api/v1/test/postings"
OTHER_PATH = "/api/v1/test/other-postings"
POSTING = "idempotency-test-posting"
BODY = {"amount": "10.00", "memo": "rent"}


# --- the test-only endpoint -------------------------------------------------------------


class AmountRefused(DomainError):
    code = "amount_refused"
    status_code = 422
    default_detail = "The amount must be positive."


class Hooks:
    """Switches the tests flip to make the service fail, stall or race."""

    def __init__(self):
        self.failures_left = 0  # memo "explode": raise RuntimeError this many times
        self.busy_left = 0  # memo "busy": raise TooManyRequests this many times
        self.entered = threading.Event()  # memo "slow": set once the effect has started...
        self.release = threading.Event()  # ...which then waits for this


HOOKS = Hooks()


def posting_create(*, user, amount, memo: str) -> JobRun:
    """Write the effect first and refuse afterwards: a refusal must leave nothing behind."""
    run = JobRun.objects.create(
        name=POSTING, started_at=timezone.now(), counts={"user": user.pk, "amount": str(amount), "memo": memo}
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            run.counts["lock_timeout"] = cursor.fetchone()[0]
        run.save(update_fields=["counts"])
    if amount <= 0:
        raise AmountRefused()
    if memo == "explode" and HOOKS.failures_left > 0:
        HOOKS.failures_left -= 1
        raise RuntimeError("the service broke")
    if memo == "busy" and HOOKS.busy_left > 0:
        HOOKS.busy_left -= 1
        raise TooManyRequests(retry_after=3)
    if memo == "slow":
        HOOKS.entered.set()
        HOOKS.release.wait(30)
    if memo == "race":
        time.sleep(0.05)  # widen the window in which duplicates overlap
    return run


class PostingInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    memo = serializers.CharField(required=False, default="", allow_blank=True)


class PostingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.CharField()
    memo = serializers.CharField()
    posted_at = serializers.DateTimeField()
    nonce = serializers.CharField()


class PostingView(APIView):
    throttle_scope = "money"

    @extend_schema(request=PostingInput, responses={201: PostingOutput})
    @idempotent_post
    def post(self, request):
        data = PostingInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = posting_create(user=request.user, **data.validated_data)
        body = {
            "id": run.pk,
            "amount": run.counts["amount"],
            "memo": run.counts["memo"],
            "posted_at": run.started_at.isoformat(),
            "nonce": uuid.uuid4().hex,  # differs on every execution: a replay must repeat it
        }
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": f"{PATH}/{run.pk}"})


class OtherPostingView(PostingView):
    """The same operation on another path: another endpoint for the key."""


# --- helpers --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _hooks():
    HOOKS.__init__()
    yield
    HOOKS.release.set()  # never leave a stalled request behind


def post(client, body, key: str | None = "key-1", path: str = PATH):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(path, body, format="json", **headers)


def postings() -> int:
    return JobRun.objects.filter(name=POSTING).count()


def replayed(response) -> bool:
    return response.get("Idempotent-Replayed") == "true"


# --- the header -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_key_is_refused_with_400_and_nothing_posted(auth_client):
    response = post(auth_client, BODY, key=None)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_required"
    assert postings() == 0
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    ["", " ", " leading-space", "trailing-space ", "x" * 256, "tab\tinside", "ключ", "bell\x07"],
    ids=["empty", "blank", "leading", "trailing", "too-long", "tab", "non-ascii", "control"],
)
def test_a_malformed_key_is_refused_with_400(auth_client, key):
    response = post(auth_client, BODY, key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert postings() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["x" * 255, "a", str(uuid.uuid4()), "inner spaces and !~ punctuation"])
def test_printable_ascii_keys_up_to_255_characters_are_accepted(auth_client, key):
    assert post(auth_client, BODY, key=key).status_code == 201


# --- same key, same request -----------------------------------------------------------


@pytest.mark.django_db
def test_a_retry_replays_the_stored_response_and_posts_once(auth_client, user):
    first = post(auth_client, BODY)
    second = post(auth_client, BODY)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content  # byte for byte, nonce included
    assert second["Location"] == first["Location"]
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert replayed(second) and not replayed(first)
    assert second["X-Request-ID"] != first["X-Request-ID"]
    assert postings() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.key, record.method, record.path) == (user, "key-1", "POST", PATH)
    assert record.state == IdempotencyRecord.State.COMPLETED
    assert record.response_status == 201


@pytest.mark.django_db
def test_key_order_and_whitespace_of_the_body_do_not_make_another_request(auth_client):
    first = post(auth_client, {"amount": "10.00", "memo": "rent"})
    reordered = auth_client.post(
        PATH,
        data='{ "memo": "rent",\n  "amount": "10.00" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert reordered.status_code == 201 and replayed(reordered)
    assert reordered.content == first.content
    assert postings() == 1


@pytest.mark.django_db
def test_records_live_for_the_configured_ttl(auth_client, settings):
    settings.IDEMPOTENCY_TTL_SECONDS = 60

    post(auth_client, BODY)

    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.created_at == timedelta(seconds=60)


# --- same key, another request --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, path",
    [
        ({"amount": "10.01", "memo": "rent"}, PATH),
        ({"amount": "10.00"}, PATH),
        ({"amount": "10.0", "memo": "rent"}, PATH),  # values are compared as sent
        (BODY, PATH + "?dry_run=1"),
        (BODY, OTHER_PATH),
    ],
    ids=["other-amount", "field-missing", "other-spelling", "query-string", "other-endpoint"],
)
def test_the_same_key_with_another_request_is_refused_with_422_and_nothing_posted(auth_client, body, path):
    post(auth_client, BODY)

    response = post(auth_client, body, path=path)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert postings() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_user(auth_client, other_user):
    mine = post(auth_client, BODY, key="shared")
    theirs = post(client_for(other_user), BODY, key="shared")

    assert mine.status_code == theirs.status_code == 201
    assert not replayed(theirs)
    assert mine.json()["id"] != theirs.json()["id"]
    assert postings() == 2
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


# --- what is stored -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_domain_refusal_is_stored_and_replayed_and_nothing_of_its_effect_remains(auth_client):
    first = post(auth_client, {"amount": "0"}, key="refused")

    assert first.status_code == 422
    assert first["Content-Type"] == "application/problem+json"
    assert first.json()["code"] == "amount_refused"
    assert postings() == 0  # the row the service wrote before refusing was rolled back

    second = post(auth_client, {"amount": "0"}, key="refused")

    assert second.status_code == 422 and replayed(second)
    assert second.content == first.content
    assert IdempotencyRecord.objects.get(key="refused").response_status == 422

    # A corrected request needs a new key: this one belongs to the refused request.
    corrected = post(auth_client, {"amount": "5.00"}, key="refused")

    assert corrected.status_code == 422
    assert corrected.json()["code"] == "idempotency_key_reused"
    assert postings() == 0


@pytest.mark.django_db
def test_invalid_input_is_not_stored_so_the_key_can_carry_the_corrected_request(auth_client):
    invalid = post(auth_client, {"amount": "ten"}, key="fix-me")

    assert invalid.status_code == 400
    assert invalid.json()["code"] == "validation_error"
    assert not IdempotencyRecord.objects.exists()

    corrected = post(auth_client, BODY, key="fix-me")

    assert corrected.status_code == 201 and not replayed(corrected)
    assert postings() == 1


@pytest.mark.django_db
def test_a_rate_limit_refusal_is_not_stored(auth_client):
    HOOKS.busy_left = 1
    body = {"amount": "3.00", "memo": "busy"}

    busy = post(auth_client, body)

    assert busy.status_code == 429
    assert busy["Retry-After"] == "3"
    assert postings() == 0 and not IdempotencyRecord.objects.exists()
    assert post(auth_client, body).status_code == 201
    assert postings() == 1


@pytest.mark.django_db
def test_an_unexpected_error_is_not_stored_and_the_retry_runs(auth_client):
    HOOKS.failures_left = 1
    auth_client.raise_request_exception = False
    body = {"amount": "7.00", "memo": "explode"}

    failed = post(auth_client, body)

    assert failed.status_code == 500
    assert failed.json()["code"] == "server_error"
    assert postings() == 0  # the effect and the claim rolled back together
    assert not IdempotencyRecord.objects.exists()

    retried = post(auth_client, body)

    assert retried.status_code == 201 and not replayed(retried)
    assert postings() == 1
    assert post(auth_client, body).content == retried.content


# --- expiry ---------------------------------------------------------------------------


def expire(key: str) -> None:
    IdempotencyRecord.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_housekeeping_purges_expired_records_and_keeps_live_ones(auth_client):
    post(auth_client, BODY, key="old")
    post(auth_client, BODY, key="live")
    expire("old")

    counts = run_housekeeping()

    assert counts["blockscore.purge_expired_idempotency_records"] == 1
    assert "_errors" not in counts
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]

    again = post(auth_client, BODY, key="old")

    assert again.status_code == 201 and not replayed(again)
    assert postings() == 3


@pytest.mark.django_db
def test_an_expired_key_is_a_new_key_before_housekeeping_runs(auth_client):
    post(auth_client, BODY, key="old")
    expire("old")

    response = post(auth_client, {"amount": "1.00", "memo": "another"}, key="old")

    assert response.status_code == 201 and not replayed(response)
    assert postings() == 2
    assert IdempotencyRecord.objects.get(key="old").expires_at > timezone.now()


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_duplicates_post_once(user):
    clients = [client_for(user) for _ in range(20)]
    body = {"amount": "25.00", "memo": "race"}

    results = run_in_parallel(20, lambda index: post(clients[index], body, key="parallel"))

    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    statuses = Counter(result.status_code for result in results)
    print(f"{connection.vendor}: {dict(statuses)}")
    assert set(statuses) <= {201, 409}, statuses
    successes = [result for result in results if result.status_code == 201]
    assert len({result.content for result in successes}) == 1
    assert [replayed(result) for result in successes].count(False) == 1
    for refused in (result for result in results if result.status_code == 409):
        assert refused.json()["code"] == "idempotency_request_in_progress"
        assert int(refused["Retry-After"]) >= 1
    assert postings() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert post(clients[0], body, key="parallel").content == successes[0].content


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_is_still_running_gets_409_with_retry_after(user, settings):
    settings.IDEMPOTENCY_LOCK_WAIT_SECONDS = 0.3
    clients = [client_for(user) for _ in range(2)]
    body = {"amount": "5.00", "memo": "slow"}

    def call(index):
        if index == 0:
            return post(clients[0], body, key="slow")
        try:
            assert HOOKS.entered.wait(10), "the first request never started"
            return post(clients[1], body, key="slow")
        finally:
            HOOKS.release.set()

    first, duplicate = run_in_parallel(2, call)

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_request_in_progress"
    assert duplicate["Retry-After"] == "1"
    assert first.status_code == 201
    assert postings() == 1
    later = post(clients[1], body, key="slow")
    assert replayed(later) and later.content == first.content


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_record_that_cannot_be_written_at_commit_undoes_the_effect(user):
    """The record goes to the database with the COMMIT: if it cannot be written there (here
    a row planted under its key behind the lock's back), the effect is undone with it."""
    client = client_for(user)
    body = {"amount": "5.00", "memo": "slow"}

    def call(index):
        if index == 0:
            return post(client, body, key="planted")  # the test client re-raises the 500's error
        try:
            assert HOOKS.entered.wait(10), "the first request never started"
            now = timezone.now()
            IdempotencyRecord.objects.create(
                user=user,
                key="planted",
                method="POST",
                path=PATH,
                request_hash="0" * 64,
                state=IdempotencyRecord.State.COMPLETED,
                response_status=201,
                response_body="{}",
                expires_at=now + timedelta(hours=1),
            )
        finally:
            HOOKS.release.set()

    first, planted = run_in_parallel(2, call)

    assert isinstance(first, IntegrityError), first
    assert planted is None
    assert postings() == 0
    assert list(IdempotencyRecord.objects.values_list("request_hash", flat=True)) == ["0" * 64]
    assert post(client, BODY, key="next").status_code == 201  # the connection goes on


@on_postgresql
@pytest.mark.django_db
def test_the_bounded_lock_wait_applies_to_the_claim_only(auth_client, settings):
    settings.IDEMPOTENCY_LOCK_WAIT_SECONDS = 0.3
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        server_default = cursor.fetchone()[0]

    post(auth_client, BODY)

    # The effect (balance row locks in real services) keeps the server's lock wait.
    assert JobRun.objects.get(name=POSTING).counts["lock_timeout"] == server_default != "300ms"


# --- OpenAPI --------------------------------------------------------------------------


def test_the_schema_documents_the_key_header_and_the_409_and_422_answers():
    schema = SchemaGenerator(urlconf="blockscore.tests.idempotency_urls").get_schema(request=None, public=True)
    operation = schema["paths"][PATH]["post"]

    (header,) = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
    assert header["required"] is True
    assert header["schema"]["maxLength"] == 255
    responses = operation["responses"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert responses["409"]["content"] == responses["422"]["content"] == problem
    assert "idempotency_request_in_progress" in responses["409"]["description"]
    assert responses["409"]["headers"]["Retry-After"]["required"] is True
    assert "idempotency_key_reused" in responses["422"]["description"]
    assert "idempotency_key_required" in responses["400"]["description"]
    assert "validation_error" in responses["400"]["description"]
    assert responses["201"]["headers"]["Idempotent-Replayed"]["required"] is False


def test_operations_that_are_not_idempotent_document_no_key():
    schema = SchemaGenerator(urlconf="blockscore.urls").get_schema(request=None, public=True)

    for method, path in [("post", "/api/v1/auth/login"), ("patch", "/api/v1/auth/me")]:
        operation = schema["paths"][path][method]
        assert "Idempotency-Key" not in repr(operation.get("parameters", [])), (method, path)
        assert "idempotency" not in repr(operation["responses"]), (method, path)
