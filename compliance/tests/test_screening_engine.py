"""The screening engine (pure): normalisation, matching, date-of-birth and country
adjustments, explanations; on the real OFAC and UN lists, parsed once per session."""

from functools import lru_cache
from pathlib import Path

import pytest

from compliance.screening import ListRecord, Query, ScreeningIndex, dob_agreement, tokens
from compliance.watchlists import ofac, un

DATA = Path(__file__).resolve().parent.parent / "data" / "watchlists"
THRESHOLD = 0.85  # SCREENING_THRESHOLD's default


@lru_cache(maxsize=1)
def parsed_lists():
    return {
        "ofac": ofac.parse(
            (DATA / "ofac_sdn.csv").read_bytes(),
            (DATA / "ofac_alt.csv").read_bytes(),
            (DATA / "ofac_add.csv").read_bytes(),
        ),
        "un": un.parse((DATA / "un_consolidated.xml").read_bytes()),
    }


@lru_cache(maxsize=1)
def real_index() -> ScreeningIndex:
    return ScreeningIndex(
        ListRecord(
            key=f"{source}:{e.list_id}",
            source=source,
            list_id=e.list_id,
            entity_type=e.entity_type,
            names=(e.name, *e.aliases),
            dates_of_birth=tuple(e.dates_of_birth),
            countries=frozenset(c for c in e.nationalities + e.countries if len(c) == 2),
        )
        for source, entries in parsed_lists().items()
        for e in entries
    )


def hits(name, dob=None, country=None, threshold=THRESHOLD):
    return real_index().screen(Query(name, dob, country), threshold=threshold)


def ids(matches):
    return {f"{m.source}:{m.list_id}" for m in matches}


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "one, other",
    [
        ("AL ZAWAHIRI, Dr. Ayman", "Ayman al-Zawahiri"),  # "LAST, First", honorific, article, hyphen
        ("Sheikh Mohammed Yusuf", "MUHAMMAD YOUSEF"),  # honorific and transliteration variants
        ("Abdul Rahman", "Abd al-Rahman"),
        ("Abdulrahman", "ABDEL RAHMAN"),
        ("BANCO NACIONAL DE CUBA S.A.", "Banco Nacional de Cuba"),  # legal form
        ("Anglo-Caribbean Co., Ltd.", "ANGLO CARIBBEAN"),
        ("Acme Holding GmbH", "ACME JSC"),
        ("Jürgen Müller", "JURGEN MULLER"),  # transliteration to ASCII
        ("Сергей Петров", "Sergey Petrov"),  # Cyrillic
        ("B.N.C.", "BNC"),  # dotted abbreviation
        ("Mr. Hussein, Saddam", "saddam husayn"),
    ],
)
def test_spellings_of_one_name_normalise_to_the_same_tokens(one, other):
    assert sorted(tokens(one)) == sorted(tokens(other))


def test_different_names_keep_different_tokens():
    assert sorted(tokens("Maria Lopez")) != sorted(tokens("Mario Lopes"))
    assert tokens("Dr.") == ("dr",)  # nothing but an honorific: kept rather than emptied


# --- matching on the real lists --------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("NORIEGA, Manuel Antonio", "ofac:1572"),  # exact
        ("Manuel Antonio Noriega", "ofac:1572"),  # name order
        ("Manuel Antonio Noreiga", "ofac:1572"),  # a transposition
        ("Manuel Antnio Noriegaa", "ofac:1572"),  # two typos
        ("Ayman al-Zawahiri", "ofac:2676"),
        ("Aiman Zawahiry", "ofac:2676"),  # transliteration variants
        ("Mousa Mohamed Abu Marzook", "ofac:3754"),  # an alias, Mohammed → Mohamed
        ("Musa Muhammad Abu Marzuk", "ofac:3754"),
        ("National Bank of Cuba", "ofac:306"),  # an alias from alt.csv
        ("Banco Nacional de Cuba S.A.", "ofac:306"),  # a legal form added
        ("banco nacional de cuba", "ofac:306"),  # case
        ("Anglo Caribbean Company Limited", "ofac:173"),  # legal forms spelt out
        ("Anglo-Caribbean Compnay Limitd", "ofac:173"),  # misspelt legal forms weigh next to nothing
        ("Ri Hongsop", "un:690740"),  # RI HONG-SOP: one token against two joined
        ("Ri Hong Sop", "un:690740"),
        ("Germain Katanga", "un:6907998"),  # UN
        ("KATANGA Germaine", "un:6907998"),
        ("Manuel Antnoi Noreiag", "ofac:1572"),  # a typo in each of two tokens (OSA: a swap is one edit)
        ("AZARI JAHROMI, Mohammad Joad", "ofac:28003"),  # two typos in one short token (Javad)
        ("ROSAGRO S.AA.S.", "ofac:16349"),  # a legal form spelt out of short pieces
    ],
)
def test_listed_names_are_found_despite_variations(query, expected):
    assert expected in ids(hits(query))


@pytest.mark.parametrize(
    "query",
    ["John Smith", "Hermann Müller", "Maria Schmidt", "Olumide Adebayo", "Priya Raman", "Bäckerei Schulz GmbH", ""],
)
def test_names_not_on_the_lists_are_not_matched(query):
    assert hits(query) == []


@pytest.mark.parametrize(
    "query, listed",
    [
        ("孟博", "ofac:18660"),  # Meng Bo is not PENG, Bo: only the short token "bo" is shared
        ("朱成", None),  # Zhu Cheng is not CHEN, Zhu
    ],
)
def test_a_name_in_its_own_script_sharing_one_short_token_is_not_matched(query, listed):
    """Written in Chinese characters, a name is romanised exactly: another syllable
    (meng/peng, cheng/chen) is another name, not a typo."""
    found = hits(query)
    assert found == [] if listed is None else listed not in ids(found)


def test_a_two_typo_hit_explains_the_letters_it_forgave():
    (match,) = [m for m in hits("AZARI JAHROMI, Mohammad Joad") if m.key == "ofac:28003"]
    pairs = {(t["query"], t["list"]) for t in match.explanation()["tokens"]}
    assert ("joad", "javad") in pairs and ("azari", "azari") in pairs
    assert match.unmatched_query == [] and match.unmatched_list == []


def test_one_name_does_not_match_a_longer_listed_name():
    """A customer called just "Hermann" is not the vessel HERMANN's crew, nor is
    "Hermann Weber" the vessel: extra tokens on either side lower the score."""
    assert "ofac:4234" not in ids(hits("Hermann Weber"))


def test_a_hit_explains_itself():
    (match,) = [m for m in hits("Manuel Antonio Noreiga", dob="1934-02-11") if m.list_id == "1572"]
    explanation = match.explanation()
    assert explanation["matched_name"] == "NORIEGA, Manuel Antonio"
    pairs = {(t["query"], t["list"]) for t in explanation["tokens"]}
    assert ("manuel", "manuel") in pairs and ("noreiga", "noriega") in pairs
    assert explanation["unmatched_query_tokens"] == [] and explanation["unmatched_list_tokens"] == []
    assert 0 < explanation["name_score"] < 1
    assert explanation["dob"] in {"unknown", "match", "year", "conflict"}


def test_date_of_birth_agreement_raises_and_conflict_lowers_the_score():
    name = "Ayman al-Zawahiri"  # DOB 19 Jun 1951, born in Egypt
    plain = [m for m in hits(name, threshold=0.5) if m.key == "ofac:2676"][0]
    same = [m for m in hits(name, dob="1951-06-19", threshold=0.5) if m.key == "ofac:2676"][0]
    other = [m for m in hits(name, dob="1990-01-01", threshold=0.5) if m.key == "ofac:2676"][0]
    assert (same.dob, plain.dob, other.dob) == ("match", "unknown", "conflict")
    assert same.score >= plain.score > other.score
    typo = "Aymen al-Zawahri"
    typo_plain = [m for m in hits(typo, threshold=0.5) if m.key == "ofac:2676"][0]
    typo_same = [m for m in hits(typo, dob="1951-06-19", threshold=0.5) if m.key == "ofac:2676"][0]
    assert typo_same.score > typo_plain.score


def test_country_agreement_and_conflict_adjust_the_score():
    name = "Aiman Zawahiry"
    egypt = [m for m in hits(name, country="EG", threshold=0.5) if m.key == "ofac:2676"][0]
    norway = [m for m in hits(name, country="NO", threshold=0.5) if m.key == "ofac:2676"][0]
    assert (egypt.country, norway.country) == ("match", "conflict")
    assert egypt.score > norway.score


@pytest.mark.parametrize(
    "query_dob, listed, expected",
    [
        ("1960-01-31", ["1960-01-31"], "match"),
        ("1960-01-31", ["1960"], "match"),
        ("1960-01-31", ["1960-01"], "match"),
        ("1957-05-01", ["1955/1958"], "match"),
        ("1960-05-01", ["1960-01-31"], "year"),
        ("1961-05-01", ["1960-01-31"], "unknown"),  # a year apart: neither
        ("1990-05-01", ["1960-01-31", "1962"], "conflict"),
        (None, ["1960"], "unknown"),
        ("1960-01-01", [], "unknown"),
    ],
)
def test_dob_agreement(query_dob, listed, expected):
    assert dob_agreement(query_dob, listed) == expected


def test_the_batch_path_answers_like_one_by_one():
    queries = [
        Query("Ayman al-Zawahiri"),
        Query("John Smith"),
        Query("National Bank of Cuba"),
        Query("Ayman al-Zawahiri"),
    ]
    batch = real_index().screen_many(queries, threshold=THRESHOLD)
    single = [real_index().screen(q, threshold=THRESHOLD) for q in queries]
    assert [ids(b) for b in batch] == [ids(s) for s in single]
    assert batch[1] == [] and "ofac:306" in ids(batch[2])


def test_entity_types_can_be_restricted():
    assert "ofac:306" in ids(hits("National Bank of Cuba"))
    index = real_index()
    only_people = index.screen(Query("National Bank of Cuba"), threshold=THRESHOLD, entity_types=["individual"])
    assert "ofac:306" not in ids(only_people)


# --- tokjw-3: who can match whom, short tokens, two edits beside an exact name -------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Ramos Group", True),
        ("Haas LLC", True),
        ("Acme S.A.", True),
        ("Smith and Sons", True),
        ("Мартынов Инкорпорэйтед", True),
        ("Ramos", False),  # one word: could be anyone
        ("GHALI, Iyad ag", False),  # a particle, not the German AG
        ("Ezatullah Haqqani (Previously Listed As)", False),
        ("Moussa Bah Ag", False),  # two letters without dots: not read as a legal form
        ("MUJEL, A.S.", False),  # after a comma: initials
    ],
)
def test_company_style_names(name, expected):
    from compliance.screening.normalise import company_style

    assert company_style(name) is expected


def small_index():
    return ScreeningIndex(
        [
            ListRecord(key="p1", source="t", list_id="1", entity_type="individual", names=("MARTIN",)),
            ListRecord(key="e1", source="t", list_id="2", entity_type="entity", names=("ANHUI",)),
            ListRecord(key="p3", source="t", list_id="6", entity_type="individual", names=("ANHUI",)),
            ListRecord(key="v1", source="t", list_id="3", entity_type="vessel", names=("IRAN SHALAK",)),
            ListRecord(key="p2", source="t", list_id="4", entity_type="individual", names=("FAIZ",)),
            ListRecord(key="e2", source="t", list_id="5", entity_type="entity", names=("RIHS",)),
        ]
    )


def small_hits(name):
    return {m.key for m in small_index().screen(Query(name), threshold=THRESHOLD)}


def test_a_company_name_does_not_match_a_person():
    assert "p1" in small_hits("Martinez")  # one name: may be a person's
    assert "p1" not in small_hits("Martinez Group")  # a company is not the person MARTIN


def test_a_person_needs_two_names_in_common_with_an_entity():
    assert "e1" in small_hits("Anhui")
    # "Anh Bui" read as one token against ANHUI: one match for a person's two names is
    # enough against a person, not against an entity.
    assert small_hits("Anh Bui") == {"p3"}


def test_two_edits_in_a_six_letter_token_beside_an_exact_name():
    assert "v1" in small_hits("IRAN HSAXLAK")  # a swap and an extra letter, IRAN exact
    assert "v1" not in small_hits("PERU HSAXLAK")


def test_short_tokens_forgive_a_swap_more_than_a_changed_letter():
    from compliance.screening.engine import token_similarity

    assert "p2" in small_hits("FIAZ")  # a swap in a one-word name
    assert "e2" not in small_hits("Rios")  # one letter changed in four: another name
    assert token_similarity("rios", "rihs") < token_similarity("faiz", "fiaz")
    assert token_similarity("lima", "lia") <= 0.88  # three letters forgive no typo
    assert token_similarity("bena", "benard") <= 0.88  # four letters forgive one edit, not two
