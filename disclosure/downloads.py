"""Downloads of the public lists: Excel through the portal's helper, CSV streamed row by row.

Both neutralise text a spreadsheet would run as a formula (``zhenhai_so.excel.safe_cell_value``,
SECURITY.md item 16) and name the file through ``content_disposition`` (item 20).
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

from zhenhai_so.excel import content_disposition, export_response, safe_cell_value

FORMATS = ("xlsx", "csv")


class _Echo:
    """A file-like object whose write() hands the line back (Django's streaming-CSV recipe)."""

    def write(self, value):
        return value


def _csv_text(value) -> str:
    value = safe_cell_value(value)
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """A UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text correctly."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(headers)
        for row in rows:
            yield writer.writerow([_csv_text(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition(f"{filename}-{stamp}.csv")
    return response


def download(fmt: str, *, filename: str, title: str, headers, rows):
    """The list as ``fmt`` (one of ``FORMATS``)."""
    if fmt == "csv":
        return csv_response(filename, headers, rows)
    return export_response(filename, title, headers, rows)
