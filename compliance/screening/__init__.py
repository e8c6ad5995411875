"""Sanctions screening engine: pure functions and an index, no ORM.

``ScreeningIndex(records)`` is built once per set of list versions (the services keep
it in a cache keyed by the version ids) and answers ``screen(query, threshold=...)``
or, for a rescan, ``screen_many(queries, threshold=...)``. ``ALGORITHM_VERSION`` is
recorded on every screening result: change it whenever normalisation or scoring
changes, so that results stay comparable.
"""

from compliance.screening.engine import ListRecord, Match, Query, ScreeningIndex, dob_agreement, iso_dob
from compliance.screening.normalise import tokens

ALGORITHM_VERSION = "tokjw-3"
DEFAULT_THRESHOLD = 0.85

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_THRESHOLD",
    "ListRecord",
    "Match",
    "Query",
    "ScreeningIndex",
    "dob_agreement",
    "iso_dob",
    "tokens",
]
