"""The .xlsx upload gate (SECURITY.md item 15): content, not name, decides; bombs are refused."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhenhai_so.uploads import check_xlsx_upload

MiB = 1024 * 1024


def workbook_bytes(rows=(("name", "count"), ("甲", 1))) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="data.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def rezip(content: bytes, *, extra=None, replace=None) -> bytes:
    """A copy of the workbook with members added or replaced."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def refused_code(content: bytes, name="data.xlsx") -> str:
    with pytest.raises(ValidationError) as excinfo:
        check_xlsx_upload(upload(content, name))
    assert excinfo.value.messages[0]  # a message for the user, not an empty error
    return excinfo.value.code


def test_a_small_real_workbook_passes_and_is_rewound():
    uploaded = upload(workbook_bytes())
    check_xlsx_upload(uploaded)
    assert uploaded.tell() == 0


def test_a_workbook_with_a_misleading_name_passes_because_content_decides():
    check_xlsx_upload(upload(workbook_bytes(), name="report.csv"))


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00" + b"\x00" * 2000,  # a Windows executable renamed to .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,  # .xls / password-encrypted .xlsx
        "名称,数量\n甲,1\n".encode(),  # a CSV renamed
        b"",
    ],
    ids=["exe", "ole-or-encrypted", "csv", "empty"],
)
def test_a_renamed_non_workbook_is_refused(content):
    assert refused_code(content) == "not_xlsx"


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert refused_code(out.getvalue()) == "not_xlsx"


def test_a_truncated_zip_is_refused():
    assert refused_code(workbook_bytes()[:300]) == "not_xlsx"


def test_a_macro_workbook_is_refused():
    content = workbook_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml")
    xlsm_types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert xlsm_types != types
    xlsm = rezip(content, replace={"[Content_Types].xml": xlsm_types})
    assert refused_code(xlsm, name="data.xlsx") == "macros"
    with_vba = rezip(content, extra={"xl/vbaProject.bin": b"\x00" * 100})
    assert refused_code(with_vba) == "macros"


def test_an_oversized_file_is_refused_before_it_is_opened(settings):
    settings.UPLOAD_MAX_BYTES = 10 * MiB
    assert refused_code(b"PK\x03\x04" + b"\x00" * (10 * MiB + 1)) == "too_large"


def test_too_many_parts_is_refused():
    extra = {f"xl/media/image{i}.bin": b"x" for i in range(1001)}
    assert refused_code(rezip(workbook_bytes(), extra=extra)) == "too_many_parts"


def test_a_zip_bomb_member_is_refused_by_its_ratio():
    bomb = rezip(workbook_bytes(), extra={"xl/worksheets/sheet2.xml": b"\x00" * (50 * MiB)})
    assert len(bomb) < MiB  # small on the wire ...
    assert refused_code(bomb) == "compression_ratio"  # ... but 50 MiB of zeros inside


def test_a_zip_bomb_unpacking_past_200_mib_is_refused():
    zeros = b"\x00" * (70 * MiB)
    extra = {f"xl/worksheets/sheet{i}.xml": zeros for i in range(2, 5)}
    bomb = rezip(workbook_bytes(), extra=extra)
    assert len(bomb) < 10 * MiB
    assert refused_code(bomb) == "unpacked_too_large"


def test_an_encrypted_zip_member_is_refused():
    content = bytearray(rezip(workbook_bytes()))
    # Set the "encrypted" flag bit in every central-directory entry (signature PK\x01\x02).
    start = 0
    while (at := content.find(b"PK\x01\x02", start)) != -1:
        content[at + 8] |= 0x1
        start = at + 4
    assert refused_code(bytes(content)) == "encrypted"


def test_openpyxl_parses_with_defusedxml():
    from django.core import checks
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True
    assert not [m for m in checks.run_checks() if m.id == "zhenhai_so.E_DEFUSEDXML"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            lambda: rezip(workbook_bytes(), extra={"xl/media/bomb.bin": b"\0" * (20 * MiB)}),
            id="zip-bomb",
        ),
        pytest.param(
            lambda: rezip(workbook_bytes(), extra={"xl/vbaProject.bin": b"macro"}), id="macros"
        ),
        pytest.param(lambda: b"MZ\x90\x00 a program", id="renamed-binary"),
    ],
)
def test_the_web_import_refuses_hostile_files_with_a_message_and_stores_nothing(
    content, client, staff, tmp_path, settings
):
    """The gate is wired: the import page refuses these at the field, writes no job and no
    file, and answers 200 with the reason (not 500)."""
    from django.urls import reverse

    from zhenhai_so.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)
    response = client.post(
        reverse("imports:start", kwargs={"kind": "organisations"}),
        {"file": upload(content(), name="organisations.xlsx")},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not any(tmp_path.rglob("*.xlsx"))
