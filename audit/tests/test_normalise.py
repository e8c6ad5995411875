"""chain.normalise: its shortcut for plain JSON gives what the JSON round trip gives."""

import json
import math

from django.db import models
from hypothesis import given
from hypothesis import strategies as st

from audit import chain


class Kind(models.TextChoices):
    TRANSFER = "transfer", "Transfer"


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.just(Kind.TRANSFER)
)
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
        | st.dictionaries(st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


def round_trip(value):
    """What normalise did before its shortcut (and still does for anything else)."""
    return chain._portable(json.loads(chain.canonical_json(value if value is not None else {})))


def same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return left == right


@given(values)
def test_normalise_agrees_with_the_json_round_trip(value):
    assert same(chain.normalise(value), round_trip(value))
    assert chain.canonical_json(chain.normalise(value)) == chain.canonical_json(round_trip(value))


def test_the_cases_the_shortcut_hands_on():
    assert chain.normalise({"a\x00": "b\x00c"}) == {"a": "bc"}
    assert chain.normalise({1: 2.0}) == {"1": 2.0}
    assert chain.normalise({"big": 1e17, "inf": math.inf, "t": (1, 2)}) == {
        "big": 100000000000000000,
        "inf": "inf",
        "t": [1, 2],
    }
    plain = {"postings": [{"account": "123", "amount": "-1.00"}], "n": 3}
    assert chain.normalise(plain) == plain and chain.normalise(plain) is not plain
    assert type(chain.normalise({"kind": Kind.TRANSFER})["kind"]) is str
