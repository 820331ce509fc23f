"""No facts from the future: a registration, dissolution, submission, inspection, publication,
evaluation, training or naming date later than today is refused at its field or row with
"日期不能晚于今天"; planned dates (a project's planned end, a notice period's end) may lie ahead."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Inspection, ListEntry, Organisation
from tests.factories import OrganisationFactory, ProjectFactory, TrainingFactory
from tests.imports.conftest import org_row, xlsx  # noqa: F401  (org_row: a fixture)
from zhenhai_so.importing import get_kind, run_import

pytestmark = pytest.mark.django_db
REFUSAL = "日期不能晚于今天"


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def _organisation_data(township, **changes):
    data = {
        "name": "镇海区未来日期测试协会",
        "credit_code": "",
        "org_type": "community",
        "registration_mode": "filed",
        "sector": "charity",
        "township": township.pk,
        "registered_on": "2020-01-01",
        "status": "normal",
    }
    return data | changes


def test_a_registration_date_after_today_is_refused_at_its_field(client_for, staff, township):
    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        _organisation_data(township, registered_on=_tomorrow().isoformat()),
    )
    assert response.status_code == 200
    assert any(REFUSAL in e for e in response.context["form"].errors["registered_on"])
    assert not Organisation.objects.exists()


def test_a_dissolution_date_after_today_is_refused_at_its_field(client_for, staff, township):
    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        _organisation_data(township, dissolved_on=_tomorrow().isoformat(), status="deregistered"),
    )
    assert any(REFUSAL in e for e in response.context["form"].errors["dissolved_on"])


def test_an_import_row_registered_in_2031_is_refused_at_its_row(staff, org_row):  # noqa: F811
    plan = run_import(
        get_kind("organisations"), xlsx([org_row(1, **{"成立日期": "2031-01-01"})]), user=staff
    )
    assert plan.counts["invalid"] == 1
    assert any("成立日期" in str(e) and REFUSAL in str(e) for e in plan.errors), plan.errors
    assert not Organisation.objects.exists()


def test_an_inspection_date_after_today_is_refused(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    response = client_for(staff).post(
        reverse("registry:inspection_create", args=[organisation.pk]),
        {"inspected_on": _tomorrow().isoformat(), "result": "passed"},
    )
    assert any(REFUSAL in e for e in response.context["form"].errors["inspected_on"])
    assert not Inspection.objects.exists()


def test_a_listing_date_after_today_is_refused(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    response = client_for(staff).post(
        reverse("registry:list_entry_create", args=[organisation.pk]),
        {"kind": "abnormal", "reason": "other", "listed_on": _tomorrow().isoformat()},
    )
    assert any(REFUSAL in e for e in response.context["form"].errors["listed_on"])
    assert not ListEntry.objects.exists()


def test_a_training_date_after_today_is_refused(client_for, staff):
    response = client_for(staff).post(
        reverse("partybuilding:training_create"),
        {
            "title": "未来的研修班",
            "kind": "study_class",
            "level": "district",
            "held_on": _tomorrow().isoformat(),
            "organiser": "区社会组织综合党委",
            "attendees": "15",
        },
    )
    assert any(REFUSAL in e for e in response.context["form"].errors["held_on"])


def test_planned_dates_may_lie_ahead():
    project = ProjectFactory(ends_on=timezone.localdate() + datetime.timedelta(days=200))
    project.full_clean()
    training = TrainingFactory()
    training.full_clean()
