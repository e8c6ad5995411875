"""Sanctions list formats: one thin parser module per publisher's format.

Each parser is a pure function over the files' contents (bytes) that returns
``ParsedEntry`` rows, or raises ``WatchlistFormatError`` for anything that is not the
format it knows (another list's file, a truncated file, a changed schema): an import of a
malformed list stores nothing.
"""

from dataclasses import dataclass, field

from blockscore.exceptions import ValidationFailed

ENTITY_TYPES = ("individual", "entity", "vessel", "aircraft")


class WatchlistFormatError(ValidationFailed):
    code = "watchlist_format"
    default_detail = "This file is not a watchlist in the expected format."


@dataclass
class ParsedEntry:
    """One listed person, entity, vessel or aircraft, as the list gives it.

    ``list_id`` is the list's own identifier (OFAC ``ent_num``, UN ``DATAID``).
    Dates of birth are ISO strings: ``1960-01-31``, ``1960-01`` (month), ``1960``
    (year) or ``1955/1958`` (a range of years). Nationalities and countries are ISO
    3166-1 alpha-2 codes where the name is known, else the list's own wording."""

    list_id: str
    entity_type: str
    name: str
    aliases: list[str] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    remarks: str = ""

    def as_dict(self) -> dict:
        return {
            "list_id": self.list_id,
            "entity_type": self.entity_type,
            "name": self.name,
            "aliases": self.aliases,
            "dates_of_birth": self.dates_of_birth,
            "nationalities": self.nationalities,
            "countries": self.countries,
            "programmes": self.programmes,
            "remarks": self.remarks,
        }


def add_unique(values: list[str], value: str) -> None:
    value = value.strip()
    if value and value not in values:
        values.append(value)
