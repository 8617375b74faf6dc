"""CSV that a spreadsheet opens as data, never as formulas (CSV/formula injection).

Excel and WPS take a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula when they open a CSV file: a hazard described `=HYPERLINK("http://…","点击")` would
become a live link (or worse, a DDE call) on the county office's desktop. Following OWASP
(https://owasp.org/www-community/attacks/CSV_Injection), such a text cell gets a single quote
in front, which the spreadsheet shows as text. Numbers are left alone, including negative ones
and numbers that arrive as text ("-3", "-12.5%", as PostgreSQL writes the hazard export's
cells): they are data, a formula cannot hide in them, and quoting them would turn a numeric
column into text.

`defusedcsv` does this too, but also quotes negative numbers and rewrites `|` inside the
cell, which changes values people read; so this is the one helper every CSV export uses.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # services without XLSX exports need not load openpyxl
    from openpyxl.worksheet.worksheet import Worksheet

# First characters that make a spreadsheet read the cell as a formula (OWASP's list).
FORMULA_STARTS = frozenset("=+-@\t\r")
# A plain number as text: sign, digits, decimals, an exponent, a percent sign.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def neutralised(value: Any) -> Any:
    """The cell as it may go into a CSV file: a formula-looking text quoted, all else as is."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and _NUMBER.fullmatch(value) is None:
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose every cell goes through `neutralised` (same arguments)."""

    def __init__(self, out: Any, **fmtparams: Any) -> None:
        self._writer: _Writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        writerow = self._writer.writerow
        for row in rows:
            # Inline (no call per cell): the hazard export writes millions of cells.
            writerow(
                [
                    "'" + c
                    if isinstance(c, str)
                    and c[:1] in FORMULA_STARTS
                    and _NUMBER.fullmatch(c) is None
                    else c
                    for c in row
                ]
            )


def writer(out: Any, **fmtparams: Any) -> SafeWriter:
    """A CSV writer for an export people open in a spreadsheet."""
    return SafeWriter(out, **fmtparams)


def formulas_as_text(sheet: Worksheet) -> None:
    """The same guard for an XLSX export built with openpyxl, which stores any string starting
    with `=` as a formula: such cells (none of ours is meant as one) are kept as the text they
    are. (The 台账's XlsxWriter export turns formulas off when it opens the workbook.)"""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
