"""Excel imports and exports of register data (DESIGN.md contracts 3 and 4, "What bad input
gets"; SECURITY.md items 15-18).

Each app describes its sheets in ``<app>/resources.py`` by subclassing :class:`ImportKind` and
calling :func:`register`; :func:`get_kind` finds them through ``zhenhai_so.discovery``, so this
module never imports the apps. One import runs in three steps, all of them here:

1. **read**: python-calamine turns the first sheet into Python values (ten times faster than
   openpyxl); the header row is matched against each column's Chinese header or English name.
2. **validate**, in memory: the kind's ``parse_row`` turns raw cells into typed values or
   ``row N: column: reason`` errors (N as Excel numbers rows, the header being row 1), using
   lookups loaded once (``prepare``, and ``prefetch`` for the records the rows name, so the
   cost follows the file, not the size of the register); keys repeated within the file are
   errors; the existing records are loaded for all keys at once and every row is classified
   new / updated / unchanged / invalid.
3. **write**, in one transaction: ``bulk_create`` / ``bulk_update`` in batches plus the audit
   log entries (django-auditlog's ``LogEntry``, written in bulk because bulk writes send no
   signals). The database constraints run on these statements; an ``IntegrityError`` rolls
   everything back and becomes :class:`ImportFailed`.

Nothing is written when a row is invalid, unless ``skip_invalid`` is set (then the valid rows
are). Rows are matched on exactly the kind's key, never on a cached loader over several columns
(SECURITY.md item 18: django-import-export's ``CachedInstanceLoader`` silently overwrites).
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import File
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from . import audit
from .bulk import bulk_insert
from .discovery import app_modules
from .excel import export_response, new_workbook, write_sheet
from .import_preview import clear_preview, store_preview
from .models import ImportJob
from .validators import find_forbidden_character, forbidden_character_message

# ---------------------------------------------------------------------------------------------
# The registry of kinds

_KINDS: dict[str, ImportKind] = {}
_discovered = False


def register(kind: ImportKind) -> ImportKind:
    """Make a kind importable and exportable under ``kind.name`` (call it in resources.py)."""
    _KINDS[kind.name] = kind
    return kind


def _discover() -> None:
    global _discovered
    if not _discovered:
        for _module in app_modules("resources"):
            pass  # importing the module registers its kinds
        _discovered = True


def get_kind(name: str) -> ImportKind | None:
    _discover()
    return _KINDS.get(name)


def all_kinds() -> list[ImportKind]:
    _discover()
    return list(_KINDS.values())


# ---------------------------------------------------------------------------------------------
# Cell conversions: raw calamine values (str, int, float, bool, date, datetime) → typed values


class CellError(Exception):
    """A cell that cannot be read; ``reason`` is what the user is told."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_NEUTRALISED = frozenset("=+-@\t\r")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(
    value, *, max_length: int | None = None, required: bool = False, multiline: bool = False
) -> str:
    """Trimmed text; numbers typed into a text column come back without a trailing ``.0``.
    Control, direction and zero-width characters are refused (a cell's ``_x001B_`` arrives
    here as the character itself); line breaks only in ``multiline`` columns."""
    if is_blank(value):
        if required:
            raise CellError(_("This column is required."))
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in _NEUTRALISED:
        # Our exports prefix formula-like text with an apostrophe (zhenhai_so.excel); take it
        # off again so that exporting and importing changes nothing.
        text = text[1:]
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("At most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": len(text)}
        )
    if (char := find_forbidden_character(text, multiline=multiline)) is not None:
        raise CellError(forbidden_character_message(char))
    return text


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value, *, required: bool = False) -> datetime.date | None:
    """Excel dates, a serial number, ``2018-03-05``, ``2018/3/5`` or ``2018年3月5日``
    (DESIGN.md contract 4)."""
    if is_blank(value):
        if required:
            raise CellError(_("This column is required."))
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell that lost its format shows as its serial number (days since 1899-12-30).
        if 1 <= value < 2958466 and float(value).is_integer():
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise CellError(_("Not a date: %(value)s.") % {"value": value})
    text = str(value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(
        _("Not a date: %(value)s (write 2018-03-05, 2018/3/5 or 2018年3月5日).") % {"value": text}
    )


_YES = frozenset({"是", "y", "yes", "1", "true", "t", "有", "√"})
_NO = frozenset({"否", "n", "no", "0", "false", "f", "无", "×"})


def parse_bool(value, *, blank: bool | None = False) -> bool | None:
    """是/否, Y/N, 1/0, TRUE/FALSE (any case) or a boolean cell; a blank cell gives ``blank``."""
    if is_blank(value):
        return blank
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
    else:
        text = str(value).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
    raise CellError(
        _("Write 是 or 否 (also Y/N, 1/0, TRUE/FALSE), not %(value)s.") % {"value": value}
    )


def parse_int(value, *, minimum: int | None = 0, maximum: int | None = None) -> int | None:
    """A whole number, or None for a blank cell."""
    if is_blank(value):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = Decimal(str(value).strip().replace(",", ""))
        if number != number.to_integral_value():
            raise ValueError
        result = int(number)
    except (ValueError, InvalidOperation):
        raise CellError(_("Not a whole number: %(value)s.") % {"value": value}) from None
    if minimum is not None and result < minimum:
        raise CellError(_("Must be at least %(min)d.") % {"min": minimum})
    if maximum is not None and result > maximum:
        raise CellError(_("Must be at most %(max)d.") % {"max": maximum})
    return result


def parse_decimal(value, *, max_digits: int, decimal_places: int, minimum=0) -> Decimal | None:
    """A number that fits the model's DecimalField, or None for a blank cell."""
    if is_blank(value):
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        # repr() of a float is its shortest exact decimal form: 12.3 stays 12.3.
        text = repr(value) if isinstance(value, float) else str(value).strip().replace(",", "")
        number = Decimal(text)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise CellError(_("Not a number: %(value)s.") % {"value": value}) from None
    if minimum is not None and number < minimum:
        raise CellError(_("Must be at least %(min)s.") % {"min": minimum})
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimal_places:
        raise CellError(
            _("At most %(places)d decimal places: %(value)s.")
            % {"places": decimal_places, "value": value}
        )
    if abs(number) >= Decimal(10) ** (max_digits - decimal_places):
        raise CellError(_("Too large: %(value)s.") % {"value": value})
    return number


def parse_choice(value, choices: dict[str, str], *, required: bool = True) -> str:
    """A choice from its label (the kind's Chinese labels and aliases) or its stored value."""
    if is_blank(value):
        if required:
            raise CellError(_("This column is required."))
        return ""
    text = str(value).strip()
    if text in choices:
        return choices[text]
    folded = text.lower()
    for label, choice in choices.items():
        if label.lower() == folded:
            return choice
    labels = list(dict.fromkeys(k for k, v in choices.items() if k != v))
    raise CellError(
        _("Unknown value %(value)s; use one of: %(labels)s.")
        % {"value": text, "labels": "、".join(labels)}
    )


def model_max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


# ---------------------------------------------------------------------------------------------
# Kinds


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its Chinese header (exported), the English field name (also
    accepted as a header) and any other headers people use for it."""

    header: str
    field: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.reason}"

    def as_list(self) -> list:
        return [self.row, self.column, self.reason]


class Row:
    """One sheet row being parsed: raw cells by field name, and the errors found in them."""

    def __init__(self, number: int, cells: dict[str, Any], headers: dict[str, str]):
        self.number = number
        self.cells = cells
        self.headers = headers
        self.errors: list[RowError] = []
        self._failed: set[str] = set()

    def raw(self, name: str):
        return self.cells.get(name)

    def error(self, name: str, reason) -> None:
        self._failed.add(name)
        self.errors.append(RowError(self.number, self.headers.get(name, name), str(reason)))

    def failed(self, *names: str) -> bool:
        return any(name in self._failed for name in names)

    def value(self, name: str, convert: Callable, *args, **kwargs):
        """``convert(raw cell, ...)``, or None with an error recorded when it raises CellError."""
        try:
            return convert(self.cells.get(name), *args, **kwargs)
        except CellError as error:
            self.error(name, error.reason)
            return None


@dataclass
class Planned:
    """A valid row and what it does: create ``instance`` or change it (``changes``)."""

    row: int
    instance: models.Model
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportPlan:
    """The outcome of validating a file: what would be written and what is wrong."""

    kind: ImportKind
    rows_total: int = 0
    new: list[Planned] = field(default_factory=list)
    updated: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    # For the preview: read-only columns the file had (ignored), the sheet row numbers of the
    # unchanged rows, and a short label per row (what the row names, as written).
    ignored_columns: list[str] = field(default_factory=list)
    unchanged_rows: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "invalid": self.invalid,
        }

    @property
    def is_valid(self) -> bool:
        return not self.errors and not self.file_errors


# A file-level message is stored on the job and shown on its page: kept short whatever the file
# holds (a header of 16,000 unknown columns named them all; docs/security.md, finding P11).
MESSAGE_MAX_CHARS = 1000
PROBLEMS_SHOWN = 10


class ImportFailed(Exception):
    """The file cannot be imported at all (unreadable, wrong headers, a constraint violated).
    Its message is cut at ``MESSAGE_MAX_CHARS``."""

    def __init__(self, message=""):
        text = str(message)
        if len(text) > MESSAGE_MAX_CHARS:
            text = text[: MESSAGE_MAX_CHARS - 1] + "…"
        super().__init__(text)


def _problems_message(problems: list[str]) -> str:
    """The first ``PROBLEMS_SHOWN`` problems, and how many more there are."""
    shown = " ".join(problems[:PROBLEMS_SHOWN])
    if len(problems) > PROBLEMS_SHOWN:
        shown += " " + _("(and %(n)d more problems with the columns)") % {
            "n": len(problems) - PROBLEMS_SHOWN
        }
    return shown


def _open_job_file(job):
    """The job's stored upload, or ImportFailed when it is gone (the nightly clean-up deletes
    uploads after seven days; a preview confirmed later must fail visibly, not with a 500)."""
    try:
        return job.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise ImportFailed(_("The uploaded file is no longer kept; upload it again.")) from error


# Appended to the header of a read-only column in a list's export.
READ_ONLY_MARK = "（只读）"


class ImportKind:
    """What one sheet holds and how its rows become records. Subclass it in ``resources.py``:

    - ``name`` (the KIND of ``import_data``), ``label``, ``model``, ``columns``;
    - ``import_permissions`` (all needed to import) and ``export_permission``;
    - ``prepare(user)``: lookups loaded once per import (one query each);
    - ``prefetch(rows, ctx)``: lookups by what the rows name (e.g. their credit codes), loaded
      for those rows only, so an import's cost does not grow with the register;
    - ``parse_row(row, ctx)``: a dict of model attribute → typed value, errors via ``row.error``;
    - ``key(values)``: what identifies the record; ``load_existing(keys, ctx)``: those records;
    - ``check_match(row, values, instance, ctx)``: refuse updating a record the user may not;
    - ``export_queryset(user)`` and ``export_row(obj)``: the same columns, typed.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    # Columns the list pages export beside the kind's own (a grade, a name, a computed status):
    # the import ignores them and says so in the preview, so a list's export re-imports.
    read_only_columns: ClassVar[tuple[Column, ...]] = ()
    import_permissions: ClassVar[tuple[str, ...]]
    export_permission: ClassVar[str]
    batch_size: ClassVar[int] = 1000

    # --- permissions ---
    def audit_extra(self, instance, created: bool) -> dict:
        """Changes to add to a record's audit entry beyond its model fields (e.g. what the kind
        writes to other tables for it); ``{name: (old, new)}``."""
        return {}

    def can_import(self, user) -> bool:
        return user.has_perms(self.import_permissions)

    def can_export(self, user) -> bool:
        return user.has_perm(self.export_permission)

    # --- headers ---
    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def list_headers(self) -> list[str]:
        """The headers of a list page's export: the kind's columns, then the read-only ones,
        marked as such ("评估等级（只读）")."""
        return self.headers + [c.header + READ_ONLY_MARK for c in self.read_only_columns]

    def read_only_headers(self, header_row: Sequence) -> list[str]:
        """The headers of ``header_row`` that name read-only columns (marked or not), as
        written."""
        names = set()
        for column in self.read_only_columns:
            names.update(_fold_header(a) for a in (column.header, column.field, *column.aliases))
        mark = _fold_header(READ_ONLY_MARK)
        return [
            str(cell).strip()
            for cell in header_row
            if not is_blank(cell) and _fold_header(str(cell)).removesuffix(mark) in names
        ]

    def header_map(self, header_row: Sequence) -> tuple[dict[int, str], dict[str, str], list[str]]:
        """Column index → field, field → header as written, and file-level problems."""
        names: dict[str, str] = {}
        for column in self.columns:
            for alias in (column.header, column.field, *column.aliases):
                names[_fold_header(alias)] = column.field
        positions: dict[int, str] = {}
        written: dict[str, str] = {}
        problems: list[str] = []
        read_only = set(self.read_only_headers(header_row))
        for index, cell in enumerate(header_row):
            if is_blank(cell) or str(cell).strip() in read_only:
                continue
            name = names.get(_fold_header(str(cell)))
            if name is None:
                problems.append(_("Unknown column %(header)s.") % {"header": str(cell)[:100]})
            elif name in written:
                problems.append(_("Column %(header)s appears twice.") % {"header": str(cell)[:100]})
            else:
                positions[index] = name
                written[name] = str(cell).strip()
        missing = [c.header for c in self.columns if c.required and c.field not in written]
        if missing:
            problems.append(
                _("Required columns missing: %(headers)s.") % {"headers": "、".join(missing)}
            )
        return positions, written, problems

    def attname(self, name: str) -> str:
        """The model attribute a column writes (``township`` → ``township_id``)."""
        try:
            return self.model._meta.get_field(name).attname
        except FieldDoesNotExist:
            return name

    # --- validation hooks ---
    def prepare(self, *, user) -> dict:
        return {"user": user}

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """Add to ``ctx`` what ``parse_row`` looks up by the raw cells of ``rows`` (every
        non-blank data row of the file, not yet parsed), in a few queries for all of them; a
        lookup table of the whole register would cost time growing with its size. Record no
        errors here: ``parse_row`` reports bad cells. Default: nothing."""

    def parse_row(self, row: Row, ctx: dict) -> dict:
        raise NotImplementedError

    def key(self, values: dict) -> Hashable:
        raise NotImplementedError

    def load_existing(self, keys: list[Hashable], ctx: dict) -> dict[Hashable, models.Model]:
        raise NotImplementedError

    def check_match(self, row: Row, values: dict, instance: models.Model, ctx: dict) -> None:
        """Record errors when the user may not change the matched record (default: may)."""

    def build(self, values: dict, ctx: dict) -> models.Model:
        return self.model(**values)

    def describe(self, row: Row) -> str:
        """What the row names, for the preview: its first two columns' cells as written."""
        cells = (row.raw(c.field) for c in self.columns[:2])
        return " ".join(str(c).strip() for c in cells if not is_blank(c))[:200]

    def nothing_to_create(self, row: Row) -> bool:
        """True when ``row`` names no existing record and holds nothing to create one from (a
        list that also shows what is missing, e.g. the annual-report board's unreported
        organisations): it counts as unchanged instead of creating an empty record."""
        return False

    # --- export ---
    def export_queryset(self, user=None) -> models.QuerySet:
        """What ``user`` may see (everything when None: the command line), in a stable order."""
        raise NotImplementedError

    def export_row(self, obj) -> Sequence:
        raise NotImplementedError

    def export_rows(self, queryset) -> Iterator[Sequence]:
        for obj in queryset.iterator(chunk_size=2000):
            yield self.export_row(obj)

    def read_only_row(self, obj) -> Sequence:
        """The values of ``read_only_columns`` for ``obj``."""
        return ()

    def list_rows(self, queryset, *, user=None) -> Iterator[Sequence]:
        """A list page's export of ``queryset`` (the page's filtered rows): the kind's columns
        exactly as ``export_row`` writes them, then the read-only ones, in the kind's order."""
        rows = self.export_queryset(user).filter(pk__in=queryset.values("pk"))
        for obj in rows.iterator(chunk_size=2000):
            yield (*self.export_row(obj), *self.read_only_row(obj))

    # --- writing ---
    def apply(self, plan: ImportPlan, *, user=None, remote_addr: str | None = None) -> None:
        """Write the plan's valid rows in bulk with their audit entries (one transaction)."""
        write_plan(plan, user=user, remote_addr=remote_addr)


def _fold_header(text: str) -> str:
    # People type full-width brackets and stray spaces in headers: （万元） = (万元).
    text = str(text).strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text).lower()


# ---------------------------------------------------------------------------------------------
# Reading and validating


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+:?[A-Z]*(\d*)\"")
_ROW_START = re.compile(rb"<(?:\w+:)?row[\s>/]")
_SHEET_TARGET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_SCAN_CHUNK = 1024 * 1024


def _first_sheet_member(archive: zipfile.ZipFile) -> str | None:
    """The archive member of the workbook's first sheet (the one ``read_sheet`` reads)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    match = _SHEET_TARGET.search(workbook)
    if match is None:
        return None
    rel_id = re.escape(match.group(1))
    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        if re.search(rb"\bId=\"" + rel_id + rb"\"", rel.group()):
            target = re.search(rb"\bTarget=\"([^\"]+)\"", rel.group())
            if target is None:
                return None
            path = target.group(1).decode()
            return path.lstrip("/") if path.startswith("/") else f"xl/{path}"
    return None


def check_row_count(source, limit: int) -> None:
    """Refuse a sheet with more than ``limit`` data rows before anything parses it: first by
    the row count its ``<dimension>`` states, then, since that is written by whoever made the
    file, by counting ``<row>`` elements while streaming the sheet's XML, stopping as soon as
    the count passes the cap. Memory stays at one chunk (docs/security.md, finding P6)."""
    too_many = ImportFailed(
        _("The sheet has more than %(max)d rows; at most %(max)d can be imported at once.")
        % {"max": limit}
    )
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: calamine says what is wrong with it
    with archive:
        member = _first_sheet_member(archive)
        if member is None or member not in archive.NameToInfo:
            return
        with archive.open(member) as stream:
            head = stream.read(_SCAN_CHUNK)
            dimension = _DIMENSION.search(head)
            if dimension and dimension.group(1) and int(dimension.group(1)) - 1 > limit:
                raise too_many
            # The header is row 1; blank rows are not counted later, so allow for a few.
            rows, tail, buffer = 0, b"", head
            while buffer:
                data = tail + buffer
                keep = 16  # a match may straddle chunks: the last bytes are looked at again
                rows += sum(1 for m in _ROW_START.finditer(data) if m.start() < len(data) - keep)
                if rows - 1 > limit:
                    raise too_many
                tail = data[-keep:]
                buffer = stream.read(_SCAN_CHUNK)
            rows += len(_ROW_START.findall(tail))
            if rows - 1 > limit:
                raise too_many


def read_sheet(source) -> list[list]:
    """All rows of the first sheet (row 1 first, empty leading rows kept so numbers match).
    A sheet over ``UPLOAD_MAX_ROWS`` is refused before it is parsed (``check_row_count``)."""
    limit = getattr(settings, "UPLOAD_MAX_ROWS", 50_000)
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            check_row_count(handle, limit)
    else:
        source.seek(0)
        check_row_count(source, limit)
    try:
        if isinstance(source, str | Path):
            workbook = CalamineWorkbook.from_path(str(source))
        else:
            source.seek(0)
            workbook = CalamineWorkbook.from_filelike(source)
        with workbook:
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own types for every kind of damage
        raise ImportFailed(_("The file cannot be read as an Excel workbook.")) from error


def validate(kind: ImportKind, source, *, user=None, rows: list[list] | None = None) -> ImportPlan:
    """Read and check the whole file; write nothing. Raises ImportFailed for an unusable file."""
    rows = read_sheet(source) if rows is None else rows
    plan = ImportPlan(kind=kind)
    if not rows:
        raise ImportFailed(_("The sheet is empty."))
    positions, written, problems = kind.header_map(rows[0])
    if problems:
        raise ImportFailed(_problems_message(problems))
    plan.ignored_columns = kind.read_only_headers(rows[0])
    data_rows = [
        (number, cells)
        for number, cells in enumerate(rows[1:], start=2)
        if not all(is_blank(c) for c in cells)
    ]
    limit = getattr(settings, "UPLOAD_MAX_ROWS", 50_000)
    if len(data_rows) > limit:
        raise ImportFailed(
            _("The sheet has %(n)d rows; at most %(max)d can be imported at once.")
            % {"n": len(data_rows), "max": limit}
        )
    plan.rows_total = len(data_rows)
    ctx = kind.prepare(user=user)
    sheet_rows = [
        Row(
            number,
            {name: cells[i] if i < len(cells) else None for i, name in positions.items()},
            written,
        )
        for number, cells in data_rows
    ]
    kind.prefetch(sheet_rows, ctx)
    plan.labels = {row.number: kind.describe(row) for row in sheet_rows}
    parsed: list[tuple[Row, dict, Hashable]] = []
    first_row_of: dict[Hashable, int] = {}
    for row in sheet_rows:
        number = row.number
        values = kind.parse_row(row, ctx)
        if row.errors:
            plan.errors.extend(row.errors)
            continue
        key = kind.key(values)
        if key in first_row_of:
            plan.errors.append(
                RowError(
                    number,
                    written.get(kind.columns[0].field, kind.columns[0].header),
                    _("The same record as row %(row)d.") % {"row": first_row_of[key]},
                )
            )
            continue
        first_row_of[key] = number
        parsed.append((row, values, key))
    existing = kind.load_existing([key for _row, _values, key in parsed], ctx)
    # A column left out of the file leaves that field of existing records alone.
    present = {kind.attname(name) for name in written}
    for row, values, key in parsed:
        instance = existing.get(key)
        if instance is None and kind.nothing_to_create(row):
            plan.unchanged += 1
            plan.unchanged_rows.append(row.number)
            continue
        if instance is None:
            plan.new.append(Planned(row.number, kind.build(values, ctx)))
            continue
        kind.check_match(row, values, instance, ctx)
        if row.errors:
            plan.errors.extend(row.errors)
            continue
        changes = {
            name: (getattr(instance, name), value)
            for name, value in values.items()
            if name in present and getattr(instance, name) != value
        }
        if changes:
            plan.updated.append(Planned(row.number, instance, changes))
        else:
            plan.unchanged += 1
            plan.unchanged_rows.append(row.number)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def in_chunks(items: Sequence, size: int | None = None) -> Iterator[Sequence]:
    """Slices small enough for one ``IN (...)`` on every backend (SQLite allows 999 parameters
    in Django's reckoning); PostgreSQL takes them in one query."""
    size = size or (connection.features.max_query_params or 20_000) - 10
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Writing


def write_plan(plan: ImportPlan, *, user=None, remote_addr: str | None = None) -> None:
    """bulk_create the new rows, bulk_update the changed ones (``version`` + 1), and add one
    auditlog ``LogEntry`` per record as the auditlog signals would have (changes as
    ``{field: [old, new]}`` strings), all in one transaction; a violated database constraint
    rolls everything back and raises ImportFailed."""
    kind = plan.kind
    model = kind.model
    field_names = {f.attname: f.name for f in model._meta.concrete_fields}
    now = timezone.now()
    try:
        with transaction.atomic():
            created = [p.instance for p in plan.new]
            bulk_insert(model, created, batch_size=kind.batch_size)
            changed_fields: set[str] = set()
            for planned in plan.updated:
                for name, (_old, new) in planned.changes.items():
                    setattr(planned.instance, name, new)
                    changed_fields.add(name)
                planned.instance.version += 1
                planned.instance.updated_at = now
            if plan.updated:
                model.objects.bulk_update(
                    [p.instance for p in plan.updated],
                    sorted(changed_fields | {"version", "updated_at"}),
                    batch_size=kind.batch_size,
                )
            logged = _logged_fields(model)
            who = {"actor": user, "remote_addr": remote_addr}
            audit.log(
                [
                    (
                        p.instance,
                        {
                            name: (None, value)
                            for attname, name in logged
                            if (value := getattr(p.instance, attname)) not in (None, "")
                        }
                        | kind.audit_extra(p.instance, created=True),
                    )
                    for p in plan.new
                ],
                audit.Action.CREATE,
                **who,
            )
            audit.log(
                [
                    (
                        p.instance,
                        {field_names.get(n, n): (old, new) for n, (old, new) in p.changes.items()}
                        | kind.audit_extra(p.instance, created=False),
                    )
                    for p in plan.updated
                ],
                audit.Action.UPDATE,
                **who,
            )
    except IntegrityError as error:
        for planned in plan.new:  # the rolled-back rows have no ids
            planned.instance.pk = None
        raise ImportFailed(
            _("The database refused the import, so nothing was saved: %(error)s")
            % {"error": str(error).splitlines()[0][:300]}
        ) from error


def _logged_fields(model) -> list[tuple[str, str]]:
    """(attname, name) of the fields auditlog records for the model: all but the primary key
    and those it is told to leave out (version and timestamps)."""
    from auditlog.registry import auditlog

    excluded = set(auditlog.get_model_fields(model)["exclude_fields"] or ())
    return [
        (f.attname, f.name)
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in excluded
    ]


def run_import(
    kind: ImportKind,
    source,
    *,
    user=None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    remote_addr: str | None = None,
) -> ImportPlan:
    """Validate the file and, unless ``dry_run``, write it: all rows when every row is valid,
    the valid ones when ``skip_invalid``, nothing otherwise (DESIGN.md contract 3)."""
    plan = validate(kind, source, user=user)
    if not dry_run and (plan.is_valid or skip_invalid) and (plan.new or plan.updated):
        kind.apply(plan, user=user, remote_addr=remote_addr)
    return plan


# ---------------------------------------------------------------------------------------------
# Export


def export_workbook(kind: ImportKind, queryset, target) -> None:
    """Write ``queryset`` as the kind's sheet to ``target`` (a path or binary file): openpyxl
    write-only, rows streamed from the database in chunks, so memory stays flat."""
    workbook = new_workbook()
    write_sheet(workbook, str(kind.label), kind.headers, kind.export_rows(queryset))
    workbook.save(target)


def list_export_response(kind: ImportKind, queryset, *, user, filename: str | None = None):
    """A list page's Excel export of its filtered ``queryset`` as the kind's sheet plus its
    read-only columns: what the list shows, in a file the kind's import takes back unchanged."""
    return export_response(
        filename or kind.name,
        str(kind.label),
        kind.list_headers,
        kind.list_rows(queryset, user=user),
    )


def error_workbook(errors: Iterable[Sequence], target) -> None:
    """The row errors as a workbook users can sort and filter."""
    workbook = new_workbook()
    write_sheet(workbook, _("Row errors"), [_("Row"), _("Column"), _("Problem")], errors)
    workbook.save(target)


# ---------------------------------------------------------------------------------------------
# Jobs: the web import's upload → preview → apply


def import_job_create(*, user, kind: ImportKind, uploaded_file) -> ImportJob:
    """Store an uploaded workbook (already passed ``check_xlsx_upload``) under
    ``MEDIA_ROOT/imports/<uuid>.xlsx`` and preview it."""
    job = ImportJob(user=user, kind=kind.name, original_name=str(uploaded_file.name)[:255])
    job.file.save(f"{job.uuid}.xlsx", File(uploaded_file), save=False)
    job.full_clean()
    job.save()
    return import_job_preview(job=job)


def import_job_preview(*, job: ImportJob) -> ImportJob:
    """Validate the job's file and store the counts, the row errors and what each row will do
    (``import_preview``); writes no records."""
    kind = get_kind(job.kind)
    try:
        with _open_job_file(job) as handle:
            plan = validate(kind, handle, user=job.user)
    except ImportFailed as error:
        job.state, job.message, job.counts, job.errors = ImportJob.State.FAILED, str(error), {}, []
        clear_preview(job=job)
    else:
        job.state = ImportJob.State.PREVIEWED
        job.counts, job.errors = plan.counts, [e.as_list() for e in plan.errors]
        job.rows_total, job.message = plan.rows_total, ""
        store_preview(job=job, plan=plan)
    job.save()
    return job
