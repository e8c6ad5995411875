"""OFAC SDN list, legacy CSV format (``sdn.csv``, ``alt.csv``, ``add.csv``).

https://ofac.treasury.gov/specially-designated-nationals-list-data-formats-data-schemas

No header row; every field is quoted except numbers and the empty marker ``-0-``; the
files end with an MS-DOS end-of-file byte (0x1A). ``sdn.csv`` has 12 columns: ent_num,
SDN_Name, SDN_Type (``individual``, ``vessel``, ``aircraft``; ``-0-`` is an entity),
Program (``SDGT] [IRGC``), Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag,
Vess_owner, Remarks. ``alt.csv``: ent_num, alt_num, alt_type, alt_name, alt_remarks.
``add.csv``: ent_num, add_num, address, city/state/postal code, country, add_remarks.

Dates of birth, nationality, citizenship, places of birth and further aliases are only
in the remarks: ``DOB 10 Dec 1948; alt. DOB 1950; POB Giza, Egypt; nationality Egypt;
a.k.a. 'BNC'.``
"""

import csv
import io
import re

from compliance.watchlists import ParsedEntry, WatchlistFormatError, add_unique
from compliance.watchlists.countries import country_code

EMPTY = "-0-"
SDN_COLUMNS = 12
ALT_COLUMNS = 5
ADD_COLUMNS = 6
TYPES = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft", "": "entity"}
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}

_AKA = re.compile(r"\b[afn]\.k\.a\.,? '(.+?)'(?=[;.,)]|\s|$)")
_DATE_DMY = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_DATE_MY = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def _decode(data: bytes, label: str) -> str:
    if not data or not data.strip(b"\x1a \r\n\t"):
        raise WatchlistFormatError(f"OFAC {label} is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # older OFAC files
    text = text.lstrip("\ufeff").rstrip("\x1a \r\n\t")
    head = text.lstrip()[:200]
    if head.startswith("<"):
        raise WatchlistFormatError(f"OFAC {label}: this is XML or HTML, not OFAC's legacy CSV.")
    return text


def _rows(data: bytes, label: str, columns: int, *, allow_empty: bool = False) -> list[list[str]]:
    if allow_empty and not data.strip(b"\x1a \r\n\t"):
        return []
    text = _decode(data, label)
    rows = []
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=1):
            if not row or row == [""]:
                continue
            if len(row) != columns:
                raise WatchlistFormatError(
                    f"OFAC {label}, row {line}: {len(row)} fields where the legacy format has {columns} "
                    "(a truncated file, or another list's file?)."
                )
            row = [_field(value) for value in row]
            if not row[0].isdigit():
                raise WatchlistFormatError(
                    f"OFAC {label}, row {line}: the first field must be the numeric ent_num "
                    f"(got {row[0][:40]!r}); the legacy format has no header row."
                )
            rows.append(row)
    except csv.Error as exc:
        raise WatchlistFormatError(f"OFAC {label}: not readable as CSV ({exc}).") from exc
    if not rows and not allow_empty:
        raise WatchlistFormatError(f"OFAC {label} holds no rows.")
    return rows


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == EMPTY else value


def parse_date(text: str) -> str | None:
    """``10 Dec 1948`` → 1948-12-10; ``Dec 1948`` → 1948-12; ``1948`` → 1948;
    ``1955 to 1958`` → 1955/1958 (years of a range); ``circa 1960`` → 1960."""
    text = " ".join(text.replace("circa", "").replace("approximately", "").split()).strip(" .")
    if " to " in text:
        start, _, end = text.partition(" to ")
        first, last = parse_date(start), parse_date(end)
        if first and last:
            return f"{first[:4]}/{last[:4]}" if first[:4] != last[:4] else first[:4]
        return first or last
    if m := _DATE_DMY.match(text):
        month = MONTHS.get(m.group(2).lower())
        if month:
            return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"
    if m := _DATE_MY.match(text):
        month = MONTHS.get(m.group(1).lower())
        if month:
            return f"{m.group(2)}-{month:02d}"
    if m := _YEAR.match(text):
        return m.group(1)
    return None


def parse_remarks(remarks: str, entry: ParsedEntry) -> None:
    """Add what the remarks say about DOB, nationality, citizenship, POB and aliases."""
    for alias in _AKA.findall(remarks):
        add_unique(entry.aliases, alias)
    for part in remarks.split(";"):
        part = part.strip().rstrip(".")
        if part.startswith("alt. "):
            part = part[5:]
        if part.startswith("DOB "):
            date = parse_date(part[4:])
            if date:
                add_unique(entry.dates_of_birth, date)
        elif part.startswith("nationality "):
            add_unique(entry.nationalities, country_code(part[12:]))
        elif part.startswith("citizen "):
            add_unique(entry.nationalities, country_code(part[8:]))
        elif part.startswith("POB "):
            code = country_code(part[4:].rsplit(",", 1)[-1])
            if len(code) == 2:  # a known country, not a town or a province
                add_unique(entry.countries, code)


def parse(sdn: bytes, alt: bytes | None = None, add: bytes | None = None) -> list[ParsedEntry]:
    """Entries of the SDN list; aliases from ``alt``, address countries from ``add``."""
    entries: dict[str, ParsedEntry] = {}
    for row in _rows(sdn, "sdn.csv", SDN_COLUMNS):
        ent_num, name, sdn_type, program = row[0], row[1], row[2].lower(), row[3]
        if ent_num in entries:
            raise WatchlistFormatError(f"OFAC sdn.csv: ent_num {ent_num} appears twice.")
        if sdn_type not in TYPES:
            raise WatchlistFormatError(f"OFAC sdn.csv: ent_num {ent_num} has an unknown type {sdn_type!r}.")
        if not name:
            raise WatchlistFormatError(f"OFAC sdn.csv: ent_num {ent_num} has no name.")
        entry = ParsedEntry(list_id=ent_num, entity_type=TYPES[sdn_type], name=name, remarks=row[11])
        for programme in re.split(r"\]\s*\[", program.strip("[] ")):
            add_unique(entry.programmes, programme.strip("[] "))
        if row[9]:  # a vessel's flag
            add_unique(entry.countries, country_code(row[9]))
        parse_remarks(row[11], entry)
        entries[ent_num] = entry
    if alt is not None:
        for row in _rows(alt, "alt.csv", ALT_COLUMNS, allow_empty=True):
            entry = entries.get(row[0])
            if entry is None:
                continue  # an alias of an entry delisted between the files' exports
            if row[3] and row[3].casefold() != entry.name.casefold():
                add_unique(entry.aliases, row[3])
    if add is not None:
        for row in _rows(add, "add.csv", ADD_COLUMNS, allow_empty=True):
            entry = entries.get(row[0])
            if entry is not None and row[4]:
                add_unique(entry.countries, country_code(row[4]))
    for entry in entries.values():
        # Case-insensitive duplicates (alt.csv repeats remarks' a.k.a.s in capitals).
        seen: set[str] = {entry.name.casefold()}
        aliases = []
        for alias in entry.aliases:
            if alias.casefold() not in seen:
                seen.add(alias.casefold())
                aliases.append(alias)
        entry.aliases = aliases
    return list(entries.values())
