"""Control, direction and zero-width characters: refused in every text field of every form and
every import (line breaks only in multi-line fields), and written safely by every export, so
that one stored character can never break a spreadsheet (docs/security.md)."""

import importlib
import inspect
import io

import pytest
from auditlog.models import LogEntry
from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import OrganisationFactory
from tests.imports.conftest import media_root, org_row, xlsx  # noqa: F401  (fixtures)
from zhenhai_so.excel import safe_cell_value
from zhenhai_so.forms import CleanTextMixin, PortalForm
from zhenhai_so.importing import CellError, parse_text
from zhenhai_so.models import ImportJob

HOSTILE = [
    "\x00",
    "\x1b",
    "\x07",
    "\x7f",
    "\x85",  # C1: next line
    "\x9b",  # C1: control sequence introducer
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200f",  # right-to-left mark
    "\ufeff",  # zero-width no-break space
    "\u2028",  # line separator
]


class _Sample(PortalForm):
    name = forms.CharField(max_length=50)
    note = forms.CharField(widget=forms.Textarea, required=False)


@pytest.mark.parametrize("char", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_a_single_line_field_refuses_control_and_invisible_characters(char):
    form = _Sample(data={"name": f"镇海{char}协会"})
    assert not form.is_valid()
    if char != "\x00":  # Django's own validator refuses NUL first, with its own message
        with translation.override("zh-hans"):
            assert "不可见" in str(form.errors["name"][0])


@pytest.mark.parametrize("char", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_a_multi_line_field_refuses_them_too(char):
    form = _Sample(data={"name": "镇海协会", "note": f"第一{char}行"})
    assert not form.is_valid()
    assert "note" in form.errors


def test_line_breaks_are_allowed_only_in_multi_line_fields():
    assert _Sample(data={"name": "镇海协会", "note": "第一行\r\n第二行\n\t缩进"}).is_valid()
    assert not _Sample(data={"name": "镇海\n协会"}).is_valid()
    assert not _Sample(data={"name": "镇海\t协会"}).is_valid()


def test_ordinary_chinese_english_and_emoji_text_passes():
    assert _Sample(data={"name": "镇海区 Zhenhai 公益协会（第2届）😀", "note": "好"}).is_valid()


def _project_form_classes():
    found = set()
    root = str(apps.get_app_config("zhenhai_so").path).rsplit("/", 1)[0]
    for config in apps.get_app_configs():
        if not config.path.startswith(root) or ".venv" in config.path:
            continue
        for name in ("forms", "security.forms", "views", "filters"):
            try:
                module = importlib.import_module(f"{config.name}.{name}")
            except ModuleNotFoundError:
                continue
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(obj, forms.BaseForm)
                    and obj.__module__.startswith(config.name)
                    and not obj.__module__.endswith("filters")
                ):
                    found.add(obj)
    return found


def test_every_form_of_the_project_cleans_its_text_through_the_portal_base():
    classes = _project_form_classes()
    assert len(classes) > 10
    strays = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not issubclass(c, CleanTextMixin) and c.__qualname__ != "PortalPasswordChangeForm"
    )
    assert strays == []


def test_the_organisation_form_refuses_an_escape_character(staff):
    from registry.forms import OrganisationForm

    form = OrganisationForm(data={"name": "镇海\x1b协会", "address": "某路\u202e1号"}, user=staff)
    assert not form.is_valid()
    assert "name" in form.errors and "address" in form.errors


@pytest.mark.parametrize("char", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_an_import_cell_refuses_control_and_invisible_characters(char):
    with pytest.raises(CellError):
        parse_text(f"镇海{char}协会")


def test_an_import_cell_escaped_as_x001b_is_refused(client_for, staff, org_row, media_root):  # noqa: F811

    client = client_for(staff)
    client.post(
        reverse("imports:start", kwargs={"kind": "organisations"}),
        {"file": xlsx([org_row(1, 名称="镇海_x001B_协会")])},
    )
    job = ImportJob.objects.get()
    assert job.counts["invalid"] == 1
    assert any(column == "名称" for _row, column, _reason in job.errors)


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x0b", "\x1f", "\ufffe"])
def test_an_export_cell_holds_no_character_a_sheet_cannot(char):
    value = safe_cell_value(f"镇海{char}协会")
    workbook = __import__("openpyxl").Workbook()
    workbook.active["A1"] = value  # raises IllegalCharacterError for what a sheet cannot hold
    assert value.startswith("镇海") and value.endswith("协会")


def _xlsx_rows(response):
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_stored_control_characters_never_break_an_export(client_for, staff, auditor):
    organisation = OrganisationFactory(name="镇海\x1b协会\x07")
    LogEntry.objects.log_create(
        organisation,
        action=LogEntry.Action.UPDATE,
        changes={"name": ["镇海协会", "镇海\x1b协会\x07"]},
        force_log=True,
    )
    public = client_for(staff).get(reverse("disclosure:search"), {"export": "xlsx"})
    assert public.status_code == 200
    assert any("镇海" in str(r[1]) for r in _xlsx_rows(public)[1:])
    kind_export = client_for(staff).get(reverse("imports:export", args=["organisations"]))
    assert kind_export.status_code == 200
    _xlsx_rows(kind_export)
    audit = client_for(auditor).get(reverse("audit:list"), {"export": "xlsx"})
    assert audit.status_code == 200
    assert any("镇海" in str(r[4]) for r in _xlsx_rows(audit)[1:])
