"""The registration workflow: draft → submitted → returned ↔ submitted → approved | rejected."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from registry import services
from registry.models import ApplicationStep, Organisation, OrgStatus, RegistrationApplication
from registry.validators import make_credit_code
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
State = RegistrationApplication.State


@pytest.fixture
def second_staff(db):
    from tests.factories import make_user
    from zhenhai_so.roles import Role

    return make_user("second_staff", Role.BUREAU_STAFF)


def _establish_payload(township, **changes):
    data = {
        "name": "镇海区新建公益服务中心",
        "credit_code": make_credit_code("2", "330211", "MJ777001"),
        "org_type": "private_non_enterprise",
        "registration_mode": "direct",
        "sector": "charity",
        "township": township.pk,
        "registered_on": "2020-05-01",
        "legal_representative": "陈七",
        "applicant": "陈七",
    }
    data.update(changes)
    return data


def _draft(staff, township):
    return services.application_save_draft(
        application=None,
        kind="establish",
        actor=staff,
        township=township,
        data={
            "name": "镇海区新建公益服务中心",
            "credit_code": make_credit_code("2", "330211", "MJ777002"),
            "org_type": "private_non_enterprise",
            "registration_mode": "direct",
            "sector": "charity",
            "township": township.pk,
            "registered_on": "2020-05-01",
        },
    )


def test_staff_registers_and_approves_an_organisation_through_the_web(
    client_for, staff, second_staff, township
):
    client = client_for(staff)
    response = client.post(
        reverse("registry:application_create", args=["establish"]),
        _establish_payload(township, submit="1"),
    )
    application = RegistrationApplication.objects.get()
    assert response.url == reverse("registry:application_detail", args=[application.pk])
    assert application.state == State.SUBMITTED
    client = client_for(second_staff)
    client.post(
        reverse("registry:application_action", args=[application.pk, "approve"]), {"reason": ""}
    )
    application.refresh_from_db()
    assert application.state == State.APPROVED
    organisation = application.organisation
    assert organisation.name == "镇海区新建公益服务中心"
    assert organisation.registered_on == datetime.date(2020, 5, 1)
    steps = list(application.steps.values_list("from_state", "to_state", "actor"))
    assert steps == [
        (State.DRAFT, State.SUBMITTED, staff.pk),
        (State.SUBMITTED, State.APPROVED, second_staff.pk),
    ]


def test_draft_keeps_an_incomplete_proposal(client_for, staff, township):
    response = client_for(staff).post(
        reverse("registry:application_create", args=["establish"]),
        {"name": "尚未填完", "township": township.pk, "save": "1"},
    )
    assert response.status_code == 302
    application = RegistrationApplication.objects.get()
    assert application.state == State.DRAFT and application.data["name"] == "尚未填完"


def test_incomplete_proposal_cannot_be_submitted(staff, township):
    application = services.application_save_draft(
        application=None,
        kind="establish",
        actor=staff,
        township=township,
        data={"name": "尚未填完", "township": township.pk},
    )
    with pytest.raises(ValidationError):
        services.application_submit(application=application, actor=staff)
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_return_needs_a_reason_and_keeps_what_was_entered(staff, township):
    application = _draft(staff, township)
    services.application_submit(application=application, actor=staff)
    with pytest.raises(ValidationError):
        services.application_return(application=application, actor=staff, reason="  ")
    services.application_return(application=application, actor=staff, reason="缺少住所证明")
    application.refresh_from_db()
    assert application.state == State.RETURNED and application.reason == "缺少住所证明"
    assert application.data["name"] == "镇海区新建公益服务中心"
    services.application_submit(application=application, actor=staff)
    assert application.state == State.SUBMITTED


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (State.DRAFT, "submit", True),
        (State.DRAFT, "approve", False),
        (State.DRAFT, "return", False),
        (State.SUBMITTED, "submit", False),
        (State.SUBMITTED, "approve", True),
        (State.SUBMITTED, "reject", True),
        (State.SUBMITTED, "return", True),
        (State.RETURNED, "submit", True),
        (State.RETURNED, "approve", False),
        (State.APPROVED, "return", False),
        (State.APPROVED, "reject", False),
        (State.REJECTED, "submit", False),
        (State.REJECTED, "approve", False),
    ],
)
def test_transitions(staff, township, state, action, allowed):
    application = _draft(staff, township)
    RegistrationApplication.objects.filter(pk=application.pk).update(state=state)
    application.refresh_from_db()
    call = {
        "submit": lambda: services.application_submit(application=application, actor=staff),
        "approve": lambda: services.application_approve(application=application, actor=staff),
        "reject": lambda: services.application_reject(
            application=application, actor=staff, reason="不符合条件"
        ),
        "return": lambda: services.application_return(
            application=application, actor=staff, reason="补正"
        ),
    }[action]
    if allowed:
        call()
        assert ApplicationStep.objects.filter(application=application).count() == 1
    else:
        with pytest.raises(services.TransitionNotAllowed):
            call()
        application.refresh_from_db()
        assert application.state == state
        assert not Organisation.objects.filter(name="镇海区新建公益服务中心").exists()


def test_change_application_applies_the_proposed_facts(staff, second_staff, township):
    organisation = OrganisationFactory(township=township, legal_representative="旧代表")
    data = services.application_data(
        {
            "name": organisation.name,
            "credit_code": organisation.credit_code,
            "org_type": organisation.org_type,
            "registration_mode": organisation.registration_mode,
            "sector": organisation.sector,
            "township": township,
            "registered_on": organisation.registered_on,
            "legal_representative": "新代表",
        }
    )
    application = services.application_save_draft(
        application=None,
        kind="change",
        actor=staff,
        township=township,
        data=data,
        organisation=organisation,
    )
    services.application_submit(application=application, actor=staff)
    services.application_approve(application=application, actor=second_staff)
    organisation.refresh_from_db()
    assert organisation.legal_representative == "新代表"
    assert organisation.version == 2


def test_deregistration_dissolves_the_organisation(client_for, staff, second_staff, township):
    organisation = OrganisationFactory(township=township)
    client = client_for(staff)
    client.post(
        reverse("registry:application_create_for", args=[organisation.pk, "deregister"]),
        {"dissolved_on": "2020-09-30", "reason": "自行解散", "submit": "1"},
    )
    application = RegistrationApplication.objects.get()
    client = client_for(second_staff)
    client.post(reverse("registry:application_action", args=[application.pk, "approve"]))
    organisation.refresh_from_db()
    assert organisation.status == OrgStatus.DEREGISTERED
    assert organisation.dissolved_on == datetime.date(2020, 9, 30)


def test_leader_cannot_act_on_an_application(client_for, leader, staff, township):
    application = _draft(staff, township)
    response = client_for(leader).post(
        reverse("registry:application_action", args=[application.pk, "submit"])
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_staff_queue_opens_on_submitted_applications(client_for, staff, township):
    waiting = _draft(staff, township)
    services.application_submit(application=waiting, actor=staff)
    _draft(staff, township)
    response = client_for(staff).get(reverse("registry:application_list"))
    assert [a.pk for a in response.context["page"]] == [waiting.pk]


def test_a_refused_transition_names_the_action_in_words(staff, township):
    application = _draft(staff, township)
    with translation.override("en"), pytest.raises(services.TransitionNotAllowed) as refused:
        services.application_approve(application=application, actor=staff)
    assert refused.value.messages == ["An application in state “Draft” cannot be approved."]


def test_the_detail_page_shows_yes_or_no_for_a_proposed_flag(client_for, staff, township):
    application = _draft(staff, township)
    application.data["is_hub"] = False
    application.save()
    page = client_for(staff).get(reverse("registry:application_detail", args=[application.pk]))
    assert page.status_code == 200
    assert "False" not in page.content.decode()


def _establishment_without_approval_fields(staff, township, **extra):
    data = {
        "name": "镇海区待核准服务中心",
        "org_type": "private_non_enterprise",
        "registration_mode": "direct",
        "sector": "charity",
        "township": township.pk,
        "credit_code": "",
        "registered_on": None,
    }
    data.update(extra)
    return services.application_save_draft(
        application=None, kind="establish", actor=staff, township=township, data=data
    )


def test_an_establishment_is_submitted_without_the_fields_filled_at_approval(
    client_for, staff, second_staff, township
):
    response = client_for(staff).post(
        reverse("registry:application_create", args=["establish"]),
        _establish_payload(township, credit_code="", registered_on="", submit="1"),
    )
    application = RegistrationApplication.objects.get()
    assert response.url == reverse("registry:application_detail", args=[application.pk])
    assert application.state == State.SUBMITTED
    code = make_credit_code("2", "330211", "MJ777009")
    client_for(second_staff).post(
        reverse("registry:application_action", args=[application.pk, "approve"]),
        {"reason": "", "registered_on": "2020-06-01", "credit_code": code},
    )
    application.refresh_from_db()
    assert application.state == State.APPROVED
    assert application.organisation.registered_on == datetime.date(2020, 6, 1)
    assert application.organisation.credit_code == code


def test_approval_without_the_registration_date_names_the_field(
    client_for, staff, second_staff, township
):
    application = _establishment_without_approval_fields(staff, township)
    services.application_submit(application=application, actor=staff)
    response = client_for(second_staff).post(
        reverse("registry:application_action", args=[application.pk, "approve"]),
        {"reason": "", "credit_code": make_credit_code("2", "330211", "MJ777010")},
        follow=True,
    )
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert "登记日期：这个字段是必填项。" in response.content.decode()


def test_a_refused_submission_names_each_field(client_for, staff, township):
    application = _establishment_without_approval_fields(staff, township, sector="")
    response = client_for(staff).post(
        reverse("registry:application_action", args=[application.pk, "submit"]), follow=True
    )
    application.refresh_from_db()
    assert application.state == State.DRAFT
    text = response.content.decode()
    assert "业务领域：这个字段是必填项。" in text
    assert "null" not in text


def test_the_submitter_cannot_approve_the_same_application(
    client_for, staff, second_staff, township
):
    application = _draft(staff, township)
    services.application_submit(application=application, actor=staff)
    with pytest.raises(ValidationError):
        services.application_approve(application=application, actor=staff)
    page = client_for(staff).get(reverse("registry:application_detail", args=[application.pk]))
    assert staff.username in page.content.decode() or str(staff) in page.content.decode()
    assert page.context["may_approve"] is False
    services.application_approve(application=application, actor=second_staff)
    application.refresh_from_db()
    assert application.state == State.APPROVED
