"""Screening runs: results and hits recorded, cases opened, dismissed hits suppressed for
the same customer data and raised again when it changes, officer decisions, the rescan job."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from blockscore.exceptions import Conflict, PermissionDenied
from blockscore.models import JobRun
from compliance.models import Case, KycSubmission, ScreeningHit, ScreeningResult
from compliance.screening import ALGORITHM_VERSION
from compliance.services import screening, watchlists
from compliance.tests.test_watchlists import sdn_row, write_ofac

pytestmark = pytest.mark.django_db

PETROV_DOB = date(1970, 1, 1)


@pytest.fixture
def lists(tmp_path):
    folder = write_ofac(
        tmp_path / "ofac",
        [
            sdn_row(1001, "PETROV, Ivan Sergeyevich", "individual", "DOB 01 Jan 1970; nationality Russia."),
            sdn_row(1002, "ACME GLOBAL TRADING LLC"),
            sdn_row(1003, "AL-RASHID, Mohammed Yusuf", "individual", "DOB 1965; POB Baghdad, Iraq."),
        ],
        aliases=[(1001, "PETROV, Ivan")],
    )
    outcome = watchlists.watchlist_import(
        source="ofac", files=watchlists.files_from_path("ofac", str(folder)), origin=str(folder)
    )
    return outcome.version


@pytest.fixture
def officer(db):
    return UserFactory(roles=["compliance officer"])


def customer(first, last, *, dob=None, country=""):
    user = UserFactory(first_name=first, last_name=last)
    user.profile.date_of_birth = dob
    user.profile.country = country
    user.profile.save()
    return user


def test_a_screening_records_what_was_screened_and_its_hits_and_opens_a_case(lists):
    user = customer("Ivan", "Petrov", dob=PETROV_DOB, country="RU")
    result = screening.screen_customer(user=user, trigger="kyc_submission")
    assert result.screened_name == "Ivan Petrov" and result.screened_dob == "1970-01-01"
    assert result.screened_country == "RU"
    assert result.list_versions == {"ofac": lists.pk}
    assert result.algorithm_version == ALGORITHM_VERSION
    assert float(result.threshold) == screening.threshold()
    assert len(result.data_hash) == 64
    (hit,) = result.hits.all()
    assert result.hit_count == 1
    assert (hit.list_source, hit.list_id, hit.status) == ("ofac", "1001", ScreeningHit.Status.OPEN)
    assert hit.entry.version == lists
    assert hit.explanation["dob"] == "match" and hit.explanation["country"] == "match"
    assert hit.score >= result.threshold
    case = hit.case
    assert case.kind == Case.Kind.SCREENING and case.subject == user and case.status == Case.Status.OPEN
    assert "PETROV" in case.summary
    assert AuditEvent.objects.filter(action="screening.hits_raised", target_id=str(result.pk)).exists()


def test_a_customer_not_on_the_lists_gets_a_result_without_hits(lists):
    user = customer("Amelia", "Hartley", dob=date(1990, 5, 5), country="GB")
    result = screening.screen_customer(user=user, trigger="manual")
    assert result.hit_count == 0 and not result.hits.exists()
    assert not Case.objects.filter(subject=user).exists()


def test_the_latest_kyc_submission_is_screened_rather_than_the_account_name(lists):
    user = customer("Jane", "Doe")
    KycSubmission.objects.create(
        user=user,
        legal_name="Mohamed Youssef Al Rashid",
        date_of_birth="1965-03-02",
        nationality="IQ",
        address_line="1 Street",
        city="Town",
        country="IQ",
        document_type="passport",
        document_number="X1",
        submitted_at=timezone.now(),
    )
    result = screening.screen_customer(user=user, trigger="kyc_submission")
    assert result.screened_name == "Mohamed Youssef Al Rashid" and result.screened_dob == "1965-03-02"
    assert [h.list_id for h in result.hits.all()] == ["1003"]


def test_a_dismissed_hit_is_suppressed_for_the_same_data_and_raised_again_when_it_changes(lists, officer):
    user = customer("Ivan", "Petrov", dob=PETROV_DOB)
    first = screening.screen_customer(user=user, trigger="kyc_submission")
    hit = first.hits.get()
    screening.hit_dismiss(hit=hit, actor=officer, note="Different person: born in Kyiv in 1970, checked passport.")
    hit.refresh_from_db()
    assert hit.status == ScreeningHit.Status.DISMISSED and hit.decided_by == officer
    assert AuditEvent.objects.filter(action="screening.hit_dismissed", target_id=str(hit.pk)).exists()
    assert hit.case.notes.filter(text__contains="checked passport").exists()
    hit.case.status = Case.Status.CLOSED_FALSE_POSITIVE  # the officer closes the case
    hit.case.save()

    again = screening.screen_customer(user=user, trigger="weekly")
    (suppressed,) = again.hits.all()
    assert suppressed.status == ScreeningHit.Status.SUPPRESSED and suppressed.case is None
    assert not Case.objects.filter(subject=user, status=Case.Status.OPEN).exists()

    user.profile.date_of_birth = date(1971, 2, 2)  # the customer's data changed
    user.profile.save()
    changed = screening.screen_customer(user=user, trigger="profile_change")
    (raised,) = changed.hits.all()
    assert raised.status == ScreeningHit.Status.OPEN and raised.data_hash != hit.data_hash
    assert raised.case.status == Case.Status.OPEN


def test_an_open_hit_seen_again_stays_on_its_case(lists):
    user = customer("Ivan", "Petrov", dob=PETROV_DOB)
    first = screening.screen_customer(user=user, trigger="kyc_submission").hits.get()
    second = screening.screen_customer(user=user, trigger="weekly").hits.get()
    assert second.status == ScreeningHit.Status.OPEN and second.case_id == first.case_id
    assert Case.objects.filter(subject=user).count() == 1


def test_confirming_a_hit_is_for_officers_and_is_audited(lists, officer):
    user = customer("Ivan", "Petrov", dob=PETROV_DOB)
    hit = screening.screen_customer(user=user, trigger="kyc_submission").hits.get()
    with pytest.raises(PermissionDenied):
        screening.hit_confirm(hit=hit, actor=UserFactory(), note="me")
    with pytest.raises(PermissionDenied):  # not on one's own account
        screening.hit_confirm(hit=hit, actor=user, note="me")
    screening.hit_confirm(hit=hit, actor=officer, note="Same passport number.")
    hit.refresh_from_db()
    assert hit.status == ScreeningHit.Status.CONFIRMED and hit.decided_at is not None
    assert AuditEvent.objects.filter(action="screening.hit_confirmed", target_id=str(hit.pk)).exists()
    with pytest.raises(Conflict):
        screening.hit_dismiss(hit=hit, actor=officer, note="changed my mind")


def test_without_any_list_the_result_says_nothing_was_screened(db):
    user = customer("Ivan", "Petrov")
    result = screening.screen_customer(user=user, trigger="manual")
    assert result.list_versions == {} and result.hit_count == 0


def test_the_index_is_rebuilt_when_a_new_version_is_imported(lists, tmp_path):
    index, versions = screening.current_index()
    assert screening.current_index()[0] is index  # reused
    folder = write_ofac(tmp_path / "v2", [sdn_row(2001, "ZORRO VEGA, Diego")])
    new = watchlists.watchlist_import(source="ofac", files=watchlists.files_from_path("ofac", str(folder)), origin="v2")
    rebuilt, now = screening.current_index()
    assert rebuilt is not index and now == {"ofac": new.version.pk}
    user = customer("Diego", "Zorro Vega")
    assert [h.list_id for h in screening.screen_customer(user=user, trigger="list_update").hits.all()] == ["2001"]


def test_an_import_queues_a_rescan_that_is_recorded_as_a_job(tmp_path, django_capture_on_commit_callbacks):
    listed = customer("Ivan", "Petrov", dob=PETROV_DOB)
    other = customer("Amelia", "Hartley")
    staff = UserFactory(roles=["compliance officer"], first_name="Ivan", last_name="Petrov")
    staff.is_staff = True
    staff.save()
    folder = write_ofac(tmp_path / "ofac", [sdn_row(1001, "PETROV, Ivan Sergeyevich", "individual", "DOB 1970.")])
    with django_capture_on_commit_callbacks(execute=True):
        watchlists.watchlist_import(source="ofac", files=watchlists.files_from_path("ofac", str(folder)), origin="x")
    run = JobRun.objects.get(name="compliance_rescan")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["with_hits"] == 1 and run.counts["cases"] == 1, run.counts
    assert ScreeningResult.objects.filter(user=other, trigger="list_update", hit_count=0).exists()
    assert ScreeningResult.objects.get(user=listed).hits.get().list_id == "1001"
    assert not ScreeningResult.objects.filter(user=staff).exists()  # staff accounts are not customers
    assert AuditEvent.objects.filter(action="screening.rescan").exists()


def test_rescan_all_twice_raises_no_second_case(lists):
    customer("Ivan", "Petrov", dob=PETROV_DOB)
    first = screening.rescan_all(trigger="weekly")
    second = screening.rescan_all(trigger="weekly")
    assert (first["new_hits"], first["cases"]) == (1, 1)
    assert (second["new_hits"], second["cases"], second["hits"]) == (0, 0, 1)
    assert Case.objects.count() == 1
