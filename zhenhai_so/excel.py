"""Excel output shared by every list: write-only openpyxl, constant memory, safe cells.

Text that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) gets a leading apostrophe (OWASP "CSV injection"; ``docs/security.md``).
Numbers, dates and booleans stay typed.
"""

import datetime
import itertools
import re
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What a worksheet cannot hold (openpyxl raises IllegalCharacterError for it, and XML 1.0 forbids
# the non-characters): replaced, so text stored before it was refused still exports.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell_value(value):
    """The value as it may be written to a cell: typed when typed, neutralised when text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, datetime.date):
        return value
    text = safe_text(value)
    if text.startswith(_DANGEROUS_PREFIXES):
        return "'" + text
    return text


def safe_text(value) -> str:
    """``value`` as text a sheet can hold: each character it cannot is replaced by U+FFFD."""
    return _UNWRITABLE.sub(REPLACEMENT, str(value))


# Column widths are measured on the header and the first rows (a write-only sheet takes its
# widths before any row, and an export must not hold all its rows to measure them).
SIZED_ROWS = 200
MIN_WIDTH, MAX_WIDTH, DATE_WIDTH = 8, 60, 12


def display_width(value) -> int:
    """How many character cells a value takes in a spreadsheet: CJK characters count two."""
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    return sum(2 if ord(c) > 0x2E7F else 1 for c in str(value))


def column_widths(headers: Sequence[str], rows: Sequence[Sequence]) -> list[float]:
    """A width per column that fits its header and its values, within bounds."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(value))
    dates = [
        any(isinstance(r[i], datetime.date) for r in rows if i < len(r)) for i in range(len(widths))
    ]
    return [
        float(max(MIN_WIDTH, DATE_WIDTH if is_date else 0, min(MAX_WIDTH, w + 2)))
        for w, is_date in zip(widths, dates, strict=True)
    ]


def write_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """Add one write-only sheet with a bold, frozen header row and the given rows, its columns
    sized to the header and the first ``SIZED_ROWS`` rows."""
    sheet = workbook.create_sheet(title=safe_text(title)[:31])
    rows = iter(rows)
    first = [[safe_cell_value(v) for v in row] for row in itertools.islice(rows, SIZED_ROWS)]
    for index, width in enumerate(column_widths([str(h) for h in headers], first), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_text(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in first:
        sheet.append(row)
    for row in rows:
        sheet.append([safe_cell_value(v) for v in row])
    return sheet


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def content_disposition(filename: str) -> str:
    """An attachment header with an ASCII fallback and the real name in ``filename*`` (RFC 6266),
    so a hostile record name can neither break the header nor pick the file's extension."""
    ascii_name = "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def workbook_response(workbook: Workbook, filename: str) -> FileResponse:
    """Stream a finished workbook as a download, spooled through a temporary file."""
    # FileResponse closes the file when the response is done, so no context manager here.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return response


def export_response(filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """One-sheet export of a list, as every list page offers."""
    workbook = new_workbook()
    write_sheet(workbook, title, headers, rows)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return workbook_response(workbook, f"{filename}-{stamp}.xlsx")
