"""Watchlists: the OFAC and UN parsers on the real files, unknown formats refused,
versioned imports (added/removed, same checksum refused), the import command."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from compliance.models import WatchlistEntry, WatchlistVersion
from compliance.services import watchlists
from compliance.tests.test_screening_engine import DATA, parsed_lists
from compliance.watchlists import WatchlistFormatError, ofac, un

# --- parsers -----------------------------------------------------------------------------------


def by_id(source):
    return {entry.list_id: entry for entry in parsed_lists()[source]}


def test_ofac_parser_reads_every_entry_with_its_type():
    entries = parsed_lists()["ofac"]
    assert len(entries) == 8976
    assert Counter(e.entity_type for e in entries) == {
        "individual": 4620,
        "entity": 3673,
        "vessel": 406,
        "aircraft": 277,
    }
    assert sum(len(e.aliases) for e in entries) > 11_000


def test_ofac_entry_has_aliases_from_alt_and_remarks_and_countries_from_addresses():
    bank = by_id("ofac")["306"]
    assert bank.name == "BANCO NACIONAL DE CUBA"
    assert bank.entity_type == "entity"
    assert "NATIONAL BANK OF CUBA" in bank.aliases  # alt.csv
    assert "BNC" in bank.aliases  # remarks: a.k.a. 'BNC'
    assert {"CH", "ES", "JP", "PA"} <= set(bank.countries)  # add.csv
    assert bank.programmes == ["CUBA"]


def test_ofac_individual_has_dates_of_birth_nationality_and_place_of_birth_from_remarks():
    zawahiri = by_id("ofac")["2676"]
    assert zawahiri.entity_type == "individual"
    assert zawahiri.dates_of_birth == ["1951-06-19"]
    assert "EG" in zawahiri.countries  # POB Giza, Egypt
    assert "AL-ZAWAHIRI, Ayman" in zawahiri.aliases
    syrians = [e for e in parsed_lists()["ofac"] if "SY" in e.nationalities]
    assert len(syrians) > 100  # "nationality Syria" → SY


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10 Dec 1948", "1948-12-10"),
        ("Dec 1948", "1948-12"),
        ("1948", "1948"),
        ("circa 1955", "1955"),
        ("1955 to 1958", "1955/1958"),
        ("01 Jan 1960 to 31 Dec 1962", "1960/1962"),
        ("sometime", None),
    ],
)
def test_ofac_dates(text, expected):
    assert ofac.parse_date(text) == expected


def test_un_parser_reads_individuals_and_entities():
    entries = parsed_lists()["un"]
    assert Counter(e.entity_type for e in entries) == {"individual": 730, "entity": 273}
    katanga = by_id("un")["6907998"]
    assert katanga.name == "GERMAIN KATANGA"
    assert katanga.dates_of_birth == ["1978-04-28"]
    assert katanga.nationalities == ["CD"]
    assert katanga.countries == ["CD"]
    assert katanga.programmes == ["DRC"]
    with_aliases = [e for e in entries if e.aliases]
    assert len(with_aliases) > 500
    assert any("/" in dob for e in entries for dob in e.dates_of_birth)  # FROM_YEAR..TO_YEAR
    assert any(len(dob) == 4 for e in entries for dob in e.dates_of_birth)  # YEAR


def test_un_parser_keeps_alias_names_of_any_quality():
    xml = (DATA / "un_consolidated.xml").read_bytes()
    entries = {e.list_id: e for e in un.parse(xml)}
    root = un.parse_root(xml)
    element = next(i for i in root.iter("INDIVIDUAL") if i.findtext("INDIVIDUAL_ALIAS/QUALITY") == "Low")
    entry = entries[element.findtext("DATAID")]
    assert element.findtext("INDIVIDUAL_ALIAS/ALIAS_NAME").strip() in entry.aliases


OFAC_ROW = b'1001,"PETROV, Ivan",individual,"UKRAINE-EO13660",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 01 Jan 1970."\r\n'


@pytest.mark.parametrize(
    "parse, content, message",
    [
        (lambda c: ofac.parse(c), (DATA / "un_consolidated.xml").read_bytes()[:5000], "XML"),
        (lambda c: ofac.parse(c), OFAC_ROW + b'1002,"ACME",-0- ,"SDGT",-0- \r\n', "fields"),  # truncated row
        (
            lambda c: ofac.parse(c),
            b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\r\n",
            "ent_num",
        ),
        (lambda c: ofac.parse(c), b'1001,"unterminated\r\n', "not readable"),
        (lambda c: ofac.parse(c), b"", "empty"),
        (lambda c: un.parse(c), (DATA / "ofac_sdn.csv").read_bytes(), "not XML"),
        (lambda c: un.parse(c), (DATA / "un_consolidated.xml").read_bytes()[:-5000], "truncated"),
        (lambda c: un.parse(c), b"<?xml version='1.0'?><SANCTIONS><INDIVIDUALS/></SANCTIONS>", "CONSOLIDATED_LIST"),
        (lambda c: un.parse(c), b"<CONSOLIDATED_LIST><OTHER/></CONSOLIDATED_LIST>", "INDIVIDUALS"),
        (lambda c: un.parse(c), b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CONSOLIDATED_LIST/>', "DTD"),
    ],
)
def test_unknown_formats_are_refused_with_a_clear_error(parse, content, message):
    with pytest.raises(WatchlistFormatError) as raised:
        parse(content)
    assert message in raised.value.detail


# --- imports -----------------------------------------------------------------------------------


def sdn_row(ent_num, name, kind="-0- ", remarks="-0- "):
    kind_field = f'"{kind}"' if kind.strip() != "-0-" else kind
    remarks_field = f'"{remarks}"' if remarks.strip() != "-0-" else remarks
    return f'{ent_num},"{name}",{kind_field},"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,{remarks_field}\r\n'


def write_ofac(folder, rows, aliases=(), addresses=()):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sdn.csv").write_text("".join(rows) + "\x1a")
    (folder / "alt.csv").write_text("".join(f'{e},{i},"aka","{n}",-0- \r\n' for i, (e, n) in enumerate(aliases, 1)))
    (folder / "add.csv").write_text(
        "".join(f'{e},{i},-0- ,-0- ,"{c}",-0- \r\n' for i, (e, c) in enumerate(addresses, 1))
        or "1,1,-0- ,-0- ,-0- ,-0- \r\n"
    )
    return folder


@pytest.mark.django_db
def test_importing_the_real_ofac_list_creates_a_version_and_refuses_the_same_checksum(capsys):
    call_command("import_watchlist", "--source", "ofac", "--path", str(DATA))
    version = WatchlistVersion.objects.get()
    assert version.source == "ofac" and version.origin == str(DATA)
    assert version.counts["entries"] == 8976 and version.counts["individual"] == 4620
    assert len(version.checksum) == 64
    assert len(version.added) == 8976 and version.removed == []
    assert version.entries.count() == 8976
    bank = version.entries.get(list_id="306")
    assert "NATIONAL BANK OF CUBA" in bank.aliases and "CH" in bank.countries
    assert AuditEvent.objects.filter(action="watchlist.imported", target_id=str(version.pk)).exists()
    capsys.readouterr()

    call_command("import_watchlist", "--source", "ofac", "--path", str(DATA / "ofac_sdn.csv"))  # same files
    assert "same checksum" in capsys.readouterr().out
    assert WatchlistVersion.objects.count() == 1 and WatchlistEntry.objects.count() == 8976


@pytest.mark.django_db
def test_a_new_version_records_entries_added_and_removed(tmp_path, django_capture_on_commit_callbacks):
    first = write_ofac(tmp_path / "v1", [sdn_row(1, "ALPHA TRADING"), sdn_row(2, "BRAVO LLC"), sdn_row(3, "CHARLIE")])
    second = write_ofac(
        tmp_path / "v2",
        [sdn_row(2, "BRAVO LLC"), sdn_row(3, "CHARLIE"), sdn_row(4, "DELTA, Dan", "individual", "DOB 1970.")],
        aliases=[(4, "DAN DELTA")],
        addresses=[(4, "Cuba")],
    )
    with django_capture_on_commit_callbacks() as queued:
        v1 = watchlists.watchlist_import(
            source="ofac", files=watchlists.files_from_path("ofac", str(first)), origin="v1"
        )
    assert v1.created and len(queued) == 1  # the rescan, queued after the commit
    v2 = watchlists.watchlist_import(source="ofac", files=watchlists.files_from_path("ofac", str(second)), origin="v2")
    assert v2.created
    assert v2.version.added == ["4"] and v2.version.removed == ["1"]
    delta = v2.version.entries.get(list_id="4")
    assert (delta.entity_type, delta.aliases, delta.dates_of_birth, delta.countries) == (
        "individual",
        ["DAN DELTA"],
        ["1970"],
        ["CU"],
    )
    assert v1.version.entries.count() == 3  # earlier versions stay as they were
    assert watchlists.current_versions()["ofac"] == v2.version


@pytest.mark.django_db
def test_a_malformed_file_stores_nothing(tmp_path):
    folder = write_ofac(tmp_path / "bad", [sdn_row(1, "ALPHA"), '2,"BRAVO",-0- \r\n'])
    with pytest.raises(CommandError, match="fields"):
        call_command("import_watchlist", "--source", "ofac", "--path", str(folder))
    with pytest.raises(CommandError, match="not XML"):
        call_command("import_watchlist", "--source", "un", "--path", str(DATA / "ofac_sdn.csv"))
    with pytest.raises(CommandError, match="add.csv"):
        (folder / "add.csv").unlink()
        call_command("import_watchlist", "--source", "ofac", "--path", str(folder))
    assert WatchlistVersion.objects.count() == 0 and WatchlistEntry.objects.count() == 0


@pytest.mark.django_db
def test_importing_the_un_list(capsys):
    call_command("import_watchlist", "--source", "un", "--path", str(DATA / "un_consolidated.xml"))
    version = WatchlistVersion.objects.get(source="un")
    assert version.counts["individual"] == 730 and version.counts["entity"] == 273
    assert version.published_at is not None  # dateGenerated
    assert "version #" in capsys.readouterr().out


def test_ofac_sibling_names():
    assert watchlists._ofac_sibling("ofac_sdn.csv", "alt") == "ofac_alt.csv"
    assert watchlists._ofac_sibling("sdn.csv", "add") == "add.csv"
    assert watchlists._ofac_sibling("SDN.CSV", "alt") == "ALT.CSV"
    with pytest.raises(WatchlistFormatError):
        watchlists._ofac_sibling("list.csv", "alt")
