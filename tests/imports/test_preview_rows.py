"""The import preview shows per row what will happen, before anything is saved: new, changed
(each changed column, old → new), unchanged, invalid (with its errors), filterable by state and
paged, for a large file checked in the background too.

Access: the job page is its uploader's alone (``tests/imports/test_views.py``)."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from registry.models import Organisation, OrgStatus
from tests.factories import OrganisationFactory
from zhenhai_so.models import ImportJob

from .conftest import xlsx

pytestmark = pytest.mark.django_db


def _upload(client, rows):
    response = client.post(
        reverse("imports:start", kwargs={"kind": "organisations"}), {"file": xlsx(rows)}
    )
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


def _existing_row(org_row, organisation, serial, **changes):
    return org_row(
        serial,
        统一社会信用代码=organisation.credit_code,
        名称=organisation.name,
        法定代表人=organisation.legal_representative,
        成立日期=organisation.registered_on.isoformat(),
        住所="",
        联系电话="",
        开办资金=None,
        **changes,
    )


@pytest.fixture
def four_rows(org_row, township):
    """A new row, a changed one, an unchanged one and an invalid one, in that order."""
    changed = OrganisationFactory(township=township)
    unchanged = OrganisationFactory(township=township)
    rows = [
        org_row(1),
        _existing_row(org_row, changed, 2, 状态="注销", 注销日期="2020-05-01"),
        _existing_row(org_row, unchanged, 3),
        org_row(4, 成立日期="去年"),
    ]
    for row in rows[1:3]:
        row["开办资金(万元)"] = None
    return rows, changed


def test_the_preview_lists_every_row_with_what_it_will_do(client_for, staff, four_rows):
    rows, changed = four_rows
    client = client_for(staff)
    job = _upload(client, rows)
    assert job.counts == {"new": 1, "updated": 1, "unchanged": 1, "invalid": 1}
    page = client.get(reverse("imports:job", args=["organisations", job.pk])).content.decode()
    for state in ("new", "changed", "unchanged", "invalid"):
        assert f'data-state="{state}"' in page
    # The changed row names each changed column with its old and new value, in words.
    assert "<del>Normal</del> → <ins>Deregistered</ins>" in page
    assert "<del>(empty)</del> → <ins>2020-05-01</ins>" in page
    assert "去年" in page  # the invalid row's error
    changed.refresh_from_db()
    assert changed.status == OrgStatus.NORMAL  # nothing saved before the confirm
    assert not Organisation.objects.filter(name="镇海区导入测试协会1").exists()


def test_the_preview_filters_by_state(client_for, staff, four_rows):
    rows, _changed = four_rows
    client = client_for(staff)
    job = _upload(client, rows)
    url = reverse("imports:job", args=["organisations", job.pk])
    page = client.get(url, {"state": "changed"}).content.decode()
    assert page.count('data-state="changed"') == 1
    assert 'data-state="new"' not in page and 'data-state="invalid"' not in page
    page = client.get(url, {"state": "invalid"}).content.decode()
    assert page.count("<tr data-state=") == 1 and "去年" in page


def test_confirming_after_the_preview_is_still_all_or_nothing(client_for, staff, four_rows):
    rows, changed = four_rows
    client = client_for(staff)
    job = _upload(client, rows)
    client.post(reverse("imports:apply", args=["organisations", job.pk]))
    changed.refresh_from_db()
    assert changed.status == OrgStatus.NORMAL
    assert not Organisation.objects.filter(name="镇海区导入测试协会1").exists()


@override_settings(BACKGROUND_ROWS=2)
def test_a_large_import_checked_in_the_background_stores_its_rows_and_pages_them(
    client_for, staff, org_row, eager_tasks, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        job = _upload(client, [org_row(n) for n in range(1, 61)])
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED
    assert job.preview_rows.count() == 60
    url = reverse("imports:job", args=["organisations", job.pk])
    first = client.get(url).content.decode()
    assert first.count('data-state="new"') == 50
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('data-state="new"') == 10
    assert "镇海区导入测试协会60" in second


def test_a_failed_file_has_no_preview_rows(client_for, staff, org_row):
    client = client_for(staff)
    job = _upload(client, [org_row(1)])
    assert job.preview_rows.count() == 1
    bad = xlsx([["x"]], headers=["不是列名"])
    client.post(reverse("imports:start", kwargs={"kind": "organisations"}), {"file": bad})
    failed = ImportJob.objects.latest("pk")
    assert failed.state == ImportJob.State.FAILED
    assert failed.preview_rows.count() == 0


def test_dates_and_missing_values_read_in_words(db):
    from zhenhai_so.display import field_label, stored_text, value_text

    field = Organisation._meta.get_field("status")
    assert value_text(field, OrgStatus.DEREGISTERED) == "Deregistered"
    assert value_text(None, None) == "(empty)"
    assert value_text(None, datetime.date(2020, 5, 1)) == "2020-05-01"
    assert stored_text(Organisation._meta.get_field("is_hub"), "True") == "Yes"
    assert field_label(Organisation, "township_id") == "Township"
