import pytest

from blockscore.api.export import safe_cell


@pytest.mark.parametrize(
    "value, expected",
    [
        ("-5.00", "-5.00"),
        ("12", "12"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (None, ""),
    ],
)
def test_csv_cells_escape_formulas_but_not_negative_numbers(value, expected):
    assert safe_cell(value) == expected
