"""Downloads of the public lists: Excel through the portal's helper, CSV streamed row by row.

Both neutralise text a spreadsheet would run as a formula (``zhenhai_so.excel.safe_cell_value``,
``docs/security.md`` items 16 and 20) and name the file through ``content_disposition``.
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy

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


# The last line of a CSV whose rows stopped coming (the connection is then broken off too).
INTERRUPTED = gettext_lazy("The export was interrupted by an error; this file is incomplete.")


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """A UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text correctly.

    An error must never look like an empty list (docs/security.md, finding P10): the first row
    is fetched before the response starts, so a failing query is an error page, not a file with
    a header only; an error halfway ends the file with ``INTERRUPTED`` and breaks the
    connection off, so the download is visibly incomplete."""
    writer = csv.writer(_Echo())
    rows = iter(rows)
    first = next(rows, None)  # a failing query raises here, before any byte is sent

    def lines():
        yield "\ufeff" + writer.writerow(headers)
        if first is None:
            return
        yield writer.writerow([_csv_text(v) for v in first])
        try:
            for row in rows:
                yield writer.writerow([_csv_text(v) for v in row])
        except Exception:
            yield writer.writerow([str(INTERRUPTED)])
            raise

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition(f"{filename}-{stamp}.csv")
    return response


def download(fmt: str, *, filename: str, title: str, headers, rows):
    """The list as ``fmt`` (one of ``FORMATS``)."""
    if fmt == "csv":
        return csv_response(filename, headers, rows)
    return export_response(filename, title, headers, rows)
