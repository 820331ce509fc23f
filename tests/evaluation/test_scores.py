"""Scores lie between 0 and the item's maximum (form, service and database); a published
evaluation is never edited; an evaluation keeps the version it was scored on."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from evaluation import services
from evaluation.models import Score
from tests.evaluation.conftest import points_for_total, publish_with_total
from tests.factories import EvaluationFactory, indicator_system

pytestmark = pytest.mark.django_db


def _item(evaluation, code):
    return evaluation.system.items.get(code=code)


def _post_scores(client, evaluation, values: dict):
    data = {f"item_{_item(evaluation, code).pk}": value for code, value in values.items()}
    return client.post(reverse("evaluation:evaluation_scores", args=[evaluation.pk]), data)


def test_form_refuses_a_score_above_the_items_maximum_at_the_field(client_for, staff, draft):
    item = _item(draft, "1.1")  # at most 15 points
    response = _post_scores(client_for(staff), draft, {"1.1": "15.5", "1.2": "10"})
    assert response.status_code == 200
    form = response.context["form"]
    # the user reads it in Chinese, next to the field
    assert form.errors[f"item_{item.pk}"] == ["指标1.1最高15分。"]
    assert 'data-testid="error-1.1">指标1.1最高15分。<' in response.content.decode()
    assert not Score.objects.filter(evaluation=draft).exists()  # nothing half-saved


def test_form_refuses_a_negative_score_and_odd_fractions(client_for, staff, draft):
    response = _post_scores(client_for(staff), draft, {"1.1": "-1", "1.2": "3.3"})
    errors = response.context["form"].errors
    assert errors[f"item_{_item(draft, '1.1').pk}"] == ["得分不能小于零。"]
    assert len(errors[f"item_{_item(draft, '1.2').pk}"]) == 1  # whole or half points only


def test_form_saves_scores_and_recomputes_the_total(client_for, staff, draft):
    response = _post_scores(client_for(staff), draft, {"1.1": "15", "1.2": "7.5", "9.1": "0"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.total == Decimal("22.5")
    assert draft.scores.count() == 3


def test_service_refuses_a_score_above_the_maximum(draft):
    item = _item(draft, "1.1")
    with pytest.raises(ValidationError) as error:
        services.evaluation_save_scores(evaluation=draft, points={item.pk: Decimal("16")})
    assert "1.1" in error.value.message_dict


def test_database_refuses_a_negative_score(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(evaluation=draft, item=_item(draft, "1.1"), points=Decimal(-1))


def test_published_evaluation_cannot_be_edited(client_for, staff):
    evaluation = publish_with_total(EvaluationFactory(), 820)
    item = _item(evaluation, "1.1")
    with pytest.raises(ValidationError):
        services.evaluation_save_scores(evaluation=evaluation, points={item.pk: Decimal(1)})
    client = client_for(staff)
    url = reverse("evaluation:evaluation_scores", args=[evaluation.pk])
    assert client.get(url).status_code == 302
    client.post(url, {f"item_{item.pk}": "1"})
    evaluation.refresh_from_db()
    assert evaluation.total == Decimal(820)
    assert evaluation.scores.get(item=item).points == item.max_points


def test_scores_of_another_version_are_refused(draft):
    other_item = indicator_system("zhenhai-2021").items.get(code="1.1")
    with pytest.raises(ValidationError):
        services.evaluation_save_scores(evaluation=draft, points={other_item.pk: Decimal(1)})


def test_versions_stay_apart():
    """Both versions are loaded side by side; each evaluation keeps its own version's maxima."""
    old, new = indicator_system("zhenhai-2018"), indicator_system("zhenhai-2021")
    assert old.items.count() == new.items.count() == 36
    assert old.items.get(code="3.2").max_points == 25
    assert new.items.get(code="3.2").max_points == 30
    on_old = EvaluationFactory(system=old)
    on_new = EvaluationFactory(system=new)
    services.evaluation_save_scores(evaluation=on_old, points=points_for_total(old, 1000))
    services.evaluation_save_scores(evaluation=on_new, points=points_for_total(new, 1000))
    assert {s.item.system_id for s in on_old.scores.select_related("item")} == {old.pk}
    assert {s.item.system_id for s in on_new.scores.select_related("item")} == {new.pk}
    with pytest.raises(ValidationError):  # 3.2 is worth 25 on the old version
        services.evaluation_save_scores(
            evaluation=on_old, points={old.items.get(code="3.2").pk: Decimal(30)}
        )


def test_every_score_entered_or_changed_on_the_page_is_in_the_audit_log(client_for, staff, draft):
    """Scores are written in bulk (no auditlog signals): each one still gets its entry, with
    who, from where and the points before and after."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    client = client_for(staff)
    _post_scores(client, draft, {"1.1": "15", "1.2": "7.5"})
    _post_scores(client, draft, {"1.1": "12", "1.2": "7.5"})
    logged = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Score)
    ).order_by("pk")
    score_11 = Score.objects.get(evaluation=draft, item=_item(draft, "1.1"))
    created = [e for e in logged if e.action == LogEntry.Action.CREATE]
    assert len(created) == 2
    assert {Decimal(e.changes["points"][1]) for e in created} == {Decimal(15), Decimal("7.5")}
    assert all(e.actor_id == staff.pk and e.remote_addr == "127.0.0.1" for e in logged)
    (changed,) = [e for e in logged if e.action == LogEntry.Action.UPDATE]
    assert changed.object_id == score_11.pk and list(changed.changes) == ["points"]
    assert [Decimal(p) for p in changed.changes["points"]] == [Decimal(15), Decimal(12)]
