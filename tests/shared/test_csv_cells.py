"""Every CSV export's writer: formula-looking text is quoted (OWASP), data is left as it is."""

from __future__ import annotations

import csv
import io

import pytest

from shared import csv_cells


def _written(rows: list[list[object]], *, one_by_one: bool) -> list[list[str]]:
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\r\n")
    if one_by_one:
        for row in rows:
            writer.writerow(row)
    else:
        writer.writerows(rows)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


@pytest.mark.parametrize("one_by_one", [True, False], ids=["writerow", "writerows"])
def test_formulas_are_quoted_and_numbers_are_not(one_by_one: bool) -> None:
    formulas = [
        '=HYPERLINK("http://example.com","点此")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        "+86 138 0000 0000",
    ]
    numbers = ["-3", "-12.5", "-12.50%", "+4", "-1e3", ".5"]
    plain = ["红星烟花爆竹", "", "1+1", "a=b", " =1"]
    row: list[object] = [*formulas, -3, -0.25, 7, None, *numbers, *plain]
    [got] = _written([row], one_by_one=one_by_one)
    assert got == [
        *("'" + f for f in formulas),
        "-3",
        "-0.25",
        "7",
        "",
        *numbers,
        *plain,
    ]
