"""Checks an uploaded workbook before anything opens it (SECURITY.md item 15).

An upload is accepted only when its *content* is an Office Open XML workbook without macros: a
zip archive holding ``[Content_Types].xml`` and ``xl/workbook.xml`` whose main part is a plain
``spreadsheetml.sheet``. The archive is judged from its central directory (``ZipFile.infolist``)
without unpacking it; the only member read, ``[Content_Types].xml``, is streamed with a cap,
because the sizes in a zip directory are written by whoever made the file and can lie.

Limits follow OWASP's file-upload and "zip bomb" guidance: 10 MiB on the wire
(``settings.UPLOAD_MAX_BYTES``), 200 MiB unpacked in total, 1000 members, and a compression
ratio of at most 100 for any member large enough to matter. Workbooks encrypted with a password
are OLE compound files, not zip archives, and are refused as "not an .xlsx".

Parsing afterwards is safe against XML entity attacks because ``defusedxml`` is installed:
openpyxl uses it automatically (``openpyxl.xml.DEFUSEDXML``); the system check
``zhenhai_so.E_DEFUSEDXML`` fails when it is missing.
"""

import zipfile

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 1000
MAX_RATIO = 100
# Members smaller than this cannot make a bomb on their own (the total cap covers many of them);
# tiny, highly repetitive XML parts legitimately compress better than 100:1.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
CONTENT_TYPES_MAX_BYTES = 1024 * 1024
REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
SHEET_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_ENCRYPTED_FLAG = 0x1


def _refuse(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message % params if params else message, code=code)


def _size_of(uploaded_file) -> int:
    size = getattr(uploaded_file, "size", None)
    if size is None:
        uploaded_file.seek(0, 2)
        size = uploaded_file.tell()
    return size


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """A member's content, refusing it as soon as more than ``cap`` bytes come out."""
    chunks, total = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(64 * 1024):
            total += len(chunk)
            if total > cap:
                raise _refuse(_("The file is not a valid Excel workbook (.xlsx)."), "not_xlsx")
            chunks.append(chunk)
    return b"".join(chunks)


def check_xlsx_upload(uploaded_file) -> None:
    """Raise ``ValidationError`` unless ``uploaded_file`` is a safe, macro-free .xlsx workbook.

    Works on Django ``UploadedFile`` objects and on any seekable binary file; the name is never
    consulted. The file position is left at the start, ready for the importer.
    """
    size = _size_of(uploaded_file)
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise _refuse(
            _("The file is %(size)s; at most %(limit)s may be uploaded."),
            "too_large",
            size=filesizeformat(size),
            limit=filesizeformat(limit),
        )
    uploaded_file.seek(0)
    try:
        if uploaded_file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            raise _refuse(
                _("The file is not an Excel workbook (.xlsx), whatever its name says."),
                "not_xlsx",
            )
        uploaded_file.seek(0)
        try:
            with zipfile.ZipFile(uploaded_file) as archive:
                _check_archive(archive)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
            raise _refuse(_("The file is not a valid Excel workbook (.xlsx)."), "not_xlsx") from exc
    finally:
        uploaded_file.seek(0)


def _check_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(
            _("The workbook has %(count)d parts; at most %(limit)d are allowed."),
            "too_many_parts",
            count=len(infos),
            limit=MAX_MEMBERS,
        )
    if any(info.flag_bits & _ENCRYPTED_FLAG for info in infos):
        raise _refuse(
            _("The workbook is encrypted; remove the password and upload it again."), "encrypted"
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(
            _("The workbook unpacks to %(size)s; at most %(limit)s is allowed."),
            "unpacked_too_large",
            size=filesizeformat(total),
            limit=filesizeformat(MAX_UNPACKED_BYTES),
        )
    for info in infos:
        if info.file_size >= RATIO_CHECK_MIN_BYTES and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
        ):
            raise _refuse(
                _("The workbook is compressed suspiciously strongly and was refused."),
                "compression_ratio",
            )
    names = {info.filename for info in infos}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse(_macros_message(), "macros")
    if not all(name in names for name in REQUIRED_MEMBERS):
        raise _refuse(_("The file is not a valid Excel workbook (.xlsx)."), "not_xlsx")
    content_types = _read_capped(
        archive, archive.getinfo("[Content_Types].xml"), CONTENT_TYPES_MAX_BYTES
    )
    if b"macroenabled" in content_types.lower():
        raise _refuse(_macros_message(), "macros")
    if SHEET_MAIN_TYPE not in content_types:
        raise _refuse(_("The file is not a valid Excel workbook (.xlsx)."), "not_xlsx")


def _macros_message() -> str:
    return _("The workbook contains macros (.xlsm); save it as a plain .xlsx workbook.")


@checks.register(checks.Tags.security)
def defusedxml_installed(app_configs, **kwargs):
    """openpyxl parses safely only when defusedxml is importable (SECURITY.md item 15)."""
    from openpyxl.xml import DEFUSEDXML

    if DEFUSEDXML:
        return []
    return [
        checks.Error(
            "defusedxml is not installed, so openpyxl would parse uploads unsafely.",
            hint="pip install defusedxml",
            id="zhenhai_so.E_DEFUSEDXML",
        )
    ]
