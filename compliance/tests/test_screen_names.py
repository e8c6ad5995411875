"""screen_names: a CSV of names in, one row per hit out, in exactly the documented format."""

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from compliance.services import watchlists
from compliance.tests.test_watchlists import sdn_row, write_ofac

pytestmark = pytest.mark.django_db

HEADER = ["input_row", "input_name", "list_source", "list_entity_id", "matched_name", "score"]
UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL>
<DATAID>6908555</DATAID><FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>PETROV</SECOND_NAME>
<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE>
<YEAR>1970</YEAR></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"""


@pytest.fixture
def lists(tmp_path):
    folder = write_ofac(
        tmp_path / "ofac",
        [
            sdn_row(1001, "PETROV, Ivan Sergeyevich", "individual", "DOB 01 Jan 1970."),
            sdn_row(1002, "ACME GLOBAL TRADING LLC"),
        ],
        aliases=[(1001, "PETROV, Ivan")],
    )
    watchlists.watchlist_import(source="ofac", files=watchlists.files_from_path("ofac", str(folder)), origin="ofac")
    watchlists.watchlist_import(source="un", files={"xml": UN_XML.encode()}, origin="un")


def run(tmp_path, text):
    source, target = tmp_path / "names.csv", tmp_path / "hits.csv"
    source.write_text(text, encoding="utf-8")
    call_command("screen_names", "--input", str(source), "--output", str(target))
    with target.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_one_row_per_hit_with_the_list_ids_and_data_rows_counted_from_one(lists, tmp_path):
    rows = run(
        tmp_path,
        "name,dob,country\n"
        "Amelia Hartley,1990-01-01,GB\n"
        "Ivan Petrov,1970-01-01,RU\n"
        "Acme Global Trading Ltd,,\n"
        "Jose Garcia,,\n",
    )
    assert rows[0] == HEADER
    body = rows[1:]
    assert {(r[0], r[1], r[2], r[3]) for r in body} == {
        ("2", "Ivan Petrov", "ofac", "1001"),
        ("2", "Ivan Petrov", "un", "6908555"),
        ("3", "Acme Global Trading Ltd", "ofac", "1002"),
    }
    petrov = next(r for r in body if r[3] == "1001")
    assert petrov[4] == "PETROV, Ivan" and 0.88 <= float(petrov[5]) <= 1.0
    assert all(len(r) == 6 and len(r[5].split(".")[1]) == 4 for r in body)


def test_a_file_with_no_hits_has_the_header_only(lists, tmp_path):
    assert run(tmp_path, "name,dob,country\nAmelia Hartley,,\n") == [HEADER]


def test_a_wrong_header_is_refused(lists, tmp_path):
    with pytest.raises(CommandError, match="header"):
        run(tmp_path, "full_name,birth\nIvan Petrov,1970\n")


def test_a_bad_date_is_refused_with_its_line(lists, tmp_path):
    with pytest.raises(CommandError, match="line 3"):
        run(tmp_path, "name,dob,country\nAmelia Hartley,,\nIvan Petrov,1/1/70,\n")


def test_without_an_imported_list_it_says_so(tmp_path):
    with pytest.raises(CommandError, match="No watchlist"):
        run(tmp_path, "name,dob,country\nIvan Petrov,,\n")
