"""Every CSV export's writer: formula-looking text is quoted (OWASP), data is left as it is."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

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


def test_an_openpyxl_sheet_keeps_formula_looking_text_as_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(['=HYPERLINK("http://example.com","点此")', -3, "-3", "普通"])
    csv_cells.formulas_as_text(sheet)
    out = io.BytesIO()
    book.save(out)
    reread = load_workbook(io.BytesIO(out.getvalue())).active
    assert reread is not None
    got = [(c.value, c.data_type) for c in reread[1]]
    assert got == [
        ('=HYPERLINK("http://example.com","点此")', "s"),
        (-3, "n"),
        ("-3", "s"),
        ("普通", "s"),
    ]
