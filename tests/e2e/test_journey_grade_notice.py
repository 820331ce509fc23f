"""Journey: a grade is published only after its public notice (公示期) has ended with no open
review (复核). Staff open an evaluation whose notice started today: the 公告等级 button is disabled
and says from which day the grade can be published, and a publication sent anyway is refused; the
public profile still shows no grade. An evaluation whose notice ended yesterday is then published
through the page, and the organisation's public profile shows the grade."""

import datetime
import io

import pytest

from evaluation import services
from evaluation.models import Evaluation
from registry.models import Organisation, Township
from tests.evaluation.conftest import points_for_total
from tests.factories import TEST_PASSWORD, EvaluationFactory, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _on_notice(name, township, *, scorer, confirmer, starts_on, ends_on):
    """An evaluation scored 830 (4A) by ``scorer``, confirmed by ``confirmer`` the day before its
    notice, and on public notice from ``starts_on`` to ``ends_on``."""
    evaluation = EvaluationFactory(
        organisation__name=name,
        organisation__township=township,
        evaluated_on=starts_on - datetime.timedelta(days=10),
    )
    services.evaluation_save_scores(
        evaluation=evaluation, points=points_for_total(evaluation.system, 830), actor=scorer
    )
    services.evaluation_mark_scored(evaluation=evaluation, actor=scorer)
    services.evaluation_confirm(
        evaluation=evaluation, confirmed_on=starts_on - datetime.timedelta(days=1), actor=confirmer
    )
    services.evaluation_start_notice(
        evaluation=evaluation, starts_on=starts_on, ends_on=ends_on, actor=confirmer
    )
    evaluation.refresh_from_db()
    return evaluation


def _evaluations(township, scorer, confirmer, today):
    """One evaluation whose notice started today and runs a week; one whose notice ended
    yesterday."""
    day = datetime.timedelta(days=1)
    running = _on_notice(
        "镇海区公示期测试协会",
        township,
        scorer=scorer,
        confirmer=confirmer,
        starts_on=today,
        ends_on=today + 7 * day,
    )
    ended = _on_notice(
        "镇海区公示期满测试协会",
        township,
        scorer=scorer,
        confirmer=confirmer,
        starts_on=today - 8 * day,
        ends_on=today - day,
    )
    return running, ended


def test_a_grade_waits_for_the_end_of_its_public_notice(journey):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    township = Township.objects.order_by("order").first()
    staff = make_user("wangke", Role.BUREAU_STAFF, full_name="王科员")
    scorer = make_user("lirui", Role.BUREAU_STAFF, full_name="李科长")
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    # One transaction: the eager targets refresh a write triggers runs after the commit, never
    # in the middle of an insert made outside a transaction (SQLite rolls that insert back).
    with transaction.atomic():
        running, ended = _evaluations(township, scorer, staff, today)
    page = journey.page

    # The notice runs until a week from today: the button is disabled and names the first day.
    journey.login("wangke", TEST_PASSWORD)
    journey.go(f"/evaluation/{running.pk}/")
    journey.shot("notice-running")
    waiting = page.locator("[data-testid=publish-from]")
    assert waiting.locator("button").is_disabled()
    assert "公告等级" in waiting.locator("button").inner_text()
    opens = (today + 8 * day).isoformat()
    assert opens in waiting.inner_text()
    assert (today + 7 * day).isoformat() in waiting.inner_text()
    assert page.locator(f"form[action$='/{running.pk}/publish/']").count() == 0

    # A publication sent anyway, as a crafted form would, is refused with the same date.
    page.evaluate(
        """([action, day]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode();
            const date = document.createElement("input");
            date.name = "published_on";
            date.value = day;
            form.append(token, date);
            document.body.append(form);
            form.submit();
        }""",
        [f"/evaluation/{running.pk}/publish/", today.isoformat()],
    )
    page.wait_for_url(f"**/evaluation/{running.pk}/")
    page.wait_for_load_state("networkidle")
    journey.shot("publish-refused")
    assert f"公示期结束后方可公告等级，即自{opens}起" in page.locator("main").inner_text()
    running.refresh_from_db()
    assert running.state == Evaluation.State.NOTICE and running.published_on is None
    assert not Organisation.objects.get(pk=running.organisation_id).grade

    journey.go(f"/public/organisations/{running.organisation_id}/")
    journey.shot("public-profile-no-grade")
    assert page.locator("[data-testid=grade]").inner_text().strip() == "未参加评估"

    # The notice ended yesterday with no review: the grade is published through the page.
    journey.go(f"/evaluation/{ended.pk}/")
    assert page.locator("[data-testid=publish-from]").count() == 0
    publish = page.locator(f"form[action$='/{ended.pk}/publish/']")
    assert publish.locator("input[name=published_on]").input_value() == today.isoformat()
    journey.shot("notice-ended")
    publish.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    journey.shot("published")
    assert "评估等级已公告" in page.locator("main").inner_text()
    ended.refresh_from_db()
    assert (ended.state, ended.grade, ended.published_on) == (
        Evaluation.State.PUBLISHED,
        "4A",
        today,
    )

    journey.logout()
    journey.go(f"/public/organisations/{ended.organisation_id}/")
    journey.shot("public-profile-grade")
    grade = page.locator("[data-testid=grade]").inner_text()
    assert "4A" in grade and ended.valid_until.isoformat() in grade
    journey.assert_clean()
