"""A workbook with too many rows is refused before it is parsed: the row count is read from the
sheet's dimension and, where that is missing or lies, counted while streaming the sheet and
stopped at the cap; a refused upload costs little memory (docs/security.md, finding P6)."""

import io
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from tests.imports.conftest import media_root, xlsx  # noqa: F401  (fixtures)
from zhenhai_so.importing import ImportFailed, read_sheet
from zhenhai_so.models import ImportJob

ROWS = 614_000


def _workbook(rows: int, dimension: str | None) -> io.BytesIO:
    """A real .xlsx (made by openpyxl) whose sheet is replaced by ``rows`` rows of two numbers,
    written straight into the archive, with the given ``<dimension>`` (or none)."""
    template = xlsx([["x"] * 5], headers=["a", "b", "c", "d", "e"])
    source = zipfile.ZipFile(template)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(
                    b'<?xml version="1.0" encoding="UTF-8"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                )
                if dimension:
                    sheet.write(f'<dimension ref="{dimension}"/>'.encode())
                sheet.write(b"<sheetData>")
                for start in range(1, rows + 1, 10_000):
                    sheet.write(
                        "".join(
                            f"<row><c><v>{n}</v></c><c><v>{n % 97}</v></c></row>"
                            for n in range(start, min(start + 10_000, rows + 1))
                        ).encode()
                    )
                sheet.write(b"</sheetData></worksheet>")
    buffer.seek(0)
    buffer.name = "big.xlsx"
    return buffer


@pytest.mark.parametrize("dimension", [f"A1:B{ROWS}", None, "A1:B2"], ids=["true", "none", "lie"])
def test_a_sheet_over_the_row_cap_is_refused_without_reading_it(dimension):
    with pytest.raises(ImportFailed, match="50000|50,000"):
        read_sheet(_workbook(ROWS, dimension))


def test_a_refused_upload_of_614000_rows_costs_under_100_mb(client_for, staff, media_root):  # noqa: F811
    upload = _workbook(ROWS, f"A1:B{ROWS}")
    assert len(upload.getvalue()) < 10 * 1024 * 1024  # passes the size and bomb checks
    client = client_for(staff)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = client.post(
            reverse("imports:start", kwargs={"kind": "organisations"}), {"file": upload}
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    assert "50000" in job.message or "50,000" in job.message
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_sheet_under_the_cap_still_reads(settings):
    rows = read_sheet(_workbook(1_000, "A1:B1000"))
    assert len(rows) == 1_000 and rows[-1][0] == 1000 and len(rows[-1]) == 2
