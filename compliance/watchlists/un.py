"""UN Security Council consolidated list, XML (``consolidated.xml``).

https://scsanctions.un.org/resources/xml/en/consolidated.xml, schema
https://www.un.org/sc/resources/sc-sanctions.xsd

``CONSOLIDATED_LIST`` (attribute ``dateGenerated``) holds ``INDIVIDUALS/INDIVIDUAL`` and
``ENTITIES/ENTITY``, each with ``DATAID``, ``FIRST_NAME`` .. ``FOURTH_NAME`` (an
entity's name is its ``FIRST_NAME``), ``UN_LIST_TYPE`` (the regime), ``COMMENTS1``,
``NATIONALITY/VALUE``, ``*_ALIAS`` (``QUALITY`` Good/Low, ``ALIAS_NAME``),
``*_ADDRESS/COUNTRY``, ``INDIVIDUAL_DATE_OF_BIRTH`` (``DATE``, ``YEAR`` or
``FROM_YEAR``..``TO_YEAR``), ``INDIVIDUAL_PLACE_OF_BIRTH/COUNTRY`` and
``NAME_ORIGINAL_SCRIPT``.

Documents with a DTD are refused before parsing: the list has none, and refusing it
rules out entity-expansion and external-entity tricks.
"""

import re
import xml.etree.ElementTree as ET
from datetime import datetime

from compliance.watchlists import ParsedEntry, WatchlistFormatError, add_unique
from compliance.watchlists.countries import country_code

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _text(element, tag: str) -> str:
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def parse_root(content: bytes) -> ET.Element:
    if not content or not content.strip():
        raise WatchlistFormatError("UN list: the file is empty.")
    head = content[:4096].lstrip()
    if not head.startswith(b"<"):
        raise WatchlistFormatError("UN list: this is not XML (an OFAC CSV file given as UN?).")
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise WatchlistFormatError("UN list: documents with a DTD or entity declarations are refused.")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise WatchlistFormatError(f"UN list: not well-formed XML (truncated?): {exc}.") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise WatchlistFormatError(f"UN list: the root element is <{root.tag}>, not <CONSOLIDATED_LIST>.")
    if root.find("INDIVIDUALS") is None and root.find("ENTITIES") is None:
        raise WatchlistFormatError("UN list: neither <INDIVIDUALS> nor <ENTITIES> is present.")
    return root


def published_at(root: ET.Element) -> datetime | None:
    value = root.get("dateGenerated", "")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _dates_of_birth(element) -> list[str]:
    dates: list[str] = []
    for dob in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        date, year = _text(dob, "DATE"), _text(dob, "YEAR")
        start, end = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
        if _DATE.match(date):
            add_unique(dates, date[:10])
        elif year.isdigit():
            add_unique(dates, year)
        elif start.isdigit() and end.isdigit():
            add_unique(dates, start if start == end else f"{start}/{end}")
    return dates


def _entry(element, entity_type: str, prefix: str) -> ParsedEntry:
    dataid = _text(element, "DATAID")
    if not dataid.isdigit():
        raise WatchlistFormatError(f"UN list: an <{element.tag}> without a numeric DATAID.")
    parts = [_text(element, tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(part for part in parts if part)
    if not name:
        raise WatchlistFormatError(f"UN list: DATAID {dataid} has no name.")
    reference = _text(element, "REFERENCE_NUMBER")
    comments = _text(element, "COMMENTS1")
    entry = ParsedEntry(
        list_id=dataid,
        entity_type=entity_type,
        name=name,
        remarks=f"{reference}: {comments}" if reference and comments else reference or comments,
    )
    for alias in element.findall(f"{prefix}_ALIAS"):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name and alias_name.casefold() != name.casefold():
            add_unique(entry.aliases, alias_name)
    original = _text(element, "NAME_ORIGINAL_SCRIPT")
    if original and original.casefold() != name.casefold():
        add_unique(entry.aliases, original)
    for value in element.findall("NATIONALITY/VALUE"):
        if value.text and value.text.strip():
            add_unique(entry.nationalities, country_code(value.text))
    for address in element.findall(f"{prefix}_ADDRESS"):
        country = _text(address, "COUNTRY")
        if country:
            add_unique(entry.countries, country_code(country))
    for place in element.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        country = _text(place, "COUNTRY")
        if country:
            add_unique(entry.countries, country_code(country))
    entry.dates_of_birth = _dates_of_birth(element)
    add_unique(entry.programmes, _text(element, "UN_LIST_TYPE"))
    return entry


def parse(content: bytes) -> list[ParsedEntry]:
    """Entries of the consolidated list (individuals, then entities)."""
    root = parse_root(content)
    entries: dict[str, ParsedEntry] = {}
    sections = (("INDIVIDUALS/INDIVIDUAL", "individual", "INDIVIDUAL"), ("ENTITIES/ENTITY", "entity", "ENTITY"))
    for path, entity_type, prefix in sections:
        for element in root.findall(path):
            entry = _entry(element, entity_type, prefix)
            if entry.list_id in entries:
                raise WatchlistFormatError(f"UN list: DATAID {entry.list_id} appears twice.")
            entries[entry.list_id] = entry
    if not entries:
        raise WatchlistFormatError("UN list: no individuals or entities in the file.")
    return list(entries.values())
