"""Pages of the evaluation app: access (township users see only their own township's
evaluations), lists with filters and export, constant query counts, the organisation tab."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluation import views
from tests.evaluation.conftest import points_for_total, publish_with_total
from tests.factories import EvaluationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, draft):
    response = client.get(reverse("evaluation:evaluation_detail", args=[draft.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_leader_reads_but_cannot_score(client_for, leader, draft):
    client = client_for(leader)
    assert client.get(reverse("evaluation:evaluation_detail", args=[draft.pk])).status_code == 200
    assert client.get(reverse("evaluation:evaluation_scores", args=[draft.pk])).status_code == 403
    url = reverse("evaluation:evaluation_action", args=[draft.pk, "scored"])
    assert client.post(url).status_code == 403


def test_township_user_sees_only_their_townships_evaluations(
    client_for, township_user, township, other_township
):
    own = EvaluationFactory(organisation__township=township, organisation__name="本镇组织")
    other = EvaluationFactory(organisation__township=other_township, organisation__name="外镇组织")
    client = client_for(township_user)
    listing = client.get(reverse("evaluation:evaluation_list"))
    assert list(listing.context["page"]) == [own]
    assert client.get(reverse("evaluation:evaluation_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("evaluation:evaluation_detail", args=[own.pk])).status_code == 200


def test_township_user_gets_404_for_another_townships_certificate(
    client_for, other_township_user, township
):
    evaluation = EvaluationFactory(organisation__township=township, published=True)
    url = reverse("evaluation:certificate", args=[evaluation.pk])
    assert client_for(other_township_user).get(url).status_code == 404


def test_certificate_only_for_a_published_grade(client_for, staff, draft):
    assert (
        client_for(staff).get(reverse("evaluation:certificate", args=[draft.pk])).status_code == 404
    )


# --- list ---------------------------------------------------------------------------------------


def test_list_filters_by_year_grade_type_township_agency_and_state(
    client_for, staff, township, other_township
):
    a = EvaluationFactory(published=True, organisation__township=township, agency="甲评估所")
    b = EvaluationFactory(
        organisation__township=other_township,
        organisation__org_type="private_non_enterprise",
        evaluated_on=datetime.date(2020, 3, 1),
        agency="乙评估所",
    )
    client = client_for(staff)
    url = reverse("evaluation:evaluation_list")

    def found(**params):
        return set(client.get(url, params).context["page"])

    assert found(year=2019) == {a}
    assert found(year=2020) == {b}
    assert found(grade="5A") == {a}
    assert found(grade="none") == {b}
    assert found(org_type="private_non_enterprise") == {b}
    assert found(township=township.pk) == {a}
    assert found(agency="乙") == {b}
    assert found(state="published") == {a}


def test_list_exports_the_filtered_rows(client_for, staff):
    EvaluationFactory(published=True, organisation__name="导出组织")
    EvaluationFactory(organisation__name="草稿组织")
    response = client_for(staff).get(
        reverse("evaluation:evaluation_list"), {"state": "published", "export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    # The evaluations sheet (it re-imports), then the list's read-only columns.
    assert rows[0][:3] == ("统一社会信用代码", "评估日期", "评估机构")
    name = rows[0].index("组织名称（只读）")
    assert [r[name] for r in rows[1:]] == ["导出组织"]


def test_township_users_cannot_export(client_for, township_user):
    url = reverse("evaluation:evaluation_list")
    assert client_for(township_user).get(url, {"export": "xlsx"}).status_code == 403


def test_list_query_count_does_not_grow_with_rows(client_for, staff, django_assert_max_num_queries):
    client = client_for(staff)
    url = reverse("evaluation:evaluation_list")
    EvaluationFactory.create_batch(2)
    # per request (session, user, permissions x2, notifications, session save: about 7) plus
    # this page's: township choices, count, one page of rows with organisation and township
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    EvaluationFactory.create_batch(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"]) == 17


# --- scoring page ---------------------------------------------------------------------------


def test_scoring_page_shows_nine_categories_and_36_items_with_their_maxima(
    client_for, staff, draft
):
    response = client_for(staff).get(reverse("evaluation:evaluation_scores", args=[draft.pk]))
    assert len(response.context["sections"]) == 9
    assert sum(len(s["rows"]) for s in response.context["sections"]) == 36
    assert b'max="15"' in response.content  # 1.1 at most 15 points, in the browser too
    assert b"<script>" not in response.content  # CSP: no inline script
    assert b'id="score-thresholds"' in response.content


def test_scoring_page_query_count_is_constant(
    client_for, staff, draft, django_assert_max_num_queries
):
    client = client_for(staff)
    url = reverse("evaluation:evaluation_scores", args=[draft.pk])
    # per request (about 7) plus evaluation, open review, items, scores, categories with
    # maxima, thresholds
    with django_assert_max_num_queries(14) as empty:
        client.get(url)
    from evaluation import services

    services.evaluation_save_scores(evaluation=draft, points=points_for_total(draft.system, 1000))
    with django_assert_max_num_queries(len(empty.captured_queries)):
        client.get(url)


def test_detail_query_count_is_pinned(client_for, staff, django_assert_max_num_queries):
    evaluation = publish_with_total(EvaluationFactory(), 777)
    client = client_for(staff)
    # per request (about 7) plus evaluation, scores, reviews, categories, items, steps
    with django_assert_max_num_queries(14):
        response = client.get(reverse("evaluation:evaluation_detail", args=[evaluation.pk]))
    assert response.context["evaluation"].grade == "3A"


# --- overviews -------------------------------------------------------------------------------


def test_distribution_counts_published_grades_by_year_and_type(client_for, staff):
    EvaluationFactory(published=True)
    EvaluationFactory(published=True, grade="3A", organisation__org_type="private_non_enterprise")
    EvaluationFactory()  # a draft does not count
    response = client_for(staff).get(reverse("evaluation:distribution"))
    year_rows = response.context["year_rows"]
    assert year_rows == [(2019, [1, 0, 1, 0, 0, 0], 2)]
    rows = response.context["type_rows"]
    assert [counts for _name, counts, _total in rows] == [
        [1, 0, 0, 0, 0, 0],  # social groups: one 5A
        [0, 0, 1, 0, 0, 0],  # private non-enterprise units: one 3A
        [0, 0, 0, 0, 0, 0],  # foundations
    ]


def test_expiring_lists_grades_expiring_within_90_days_or_expired(client_for, staff):
    today = datetime.date.today()
    soon = OrganisationFactory(grade="4A", grade_expires_on=today + datetime.timedelta(days=30))
    expired = OrganisationFactory(grade="3A", grade_expires_on=today - datetime.timedelta(days=3))
    OrganisationFactory(grade="5A", grade_expires_on=today + datetime.timedelta(days=200))
    response = client_for(staff).get(reverse("evaluation:expiring"))
    assert list(response.context["page"]) == [expired, soon]


def test_never_evaluated_lists_legal_organisations_without_a_published_evaluation(
    client_for, staff
):
    evaluated = EvaluationFactory(published=True).organisation
    only_draft = EvaluationFactory().organisation
    OrganisationFactory(org_type="community")
    response = client_for(staff).get(reverse("evaluation:never_evaluated"))
    listed = set(response.context["page"])
    assert only_draft in listed
    assert evaluated not in listed
    assert all(o.org_type != "community" for o in listed)
    export = client_for(staff).get(reverse("evaluation:never_evaluated"), {"export": "xlsx"})
    assert export.status_code == 200


# --- the organisation tab ---------------------------------------------------------------------


def test_tab_context_gives_points_per_category_against_the_maximum(rf, staff):
    evaluation = publish_with_total(EvaluationFactory(), 900)
    request = rf.get("/")
    request.user = staff
    context = views.organisation_tab(request, evaluation.organisation)
    assert context["latest"] == evaluation
    chart = context["chart"]
    assert len(chart["categories"]) == 9
    assert sum(c["max"] for c in chart["categories"]) == 1000
    assert sum(chart["points"]) == 900
    assert chart["points"][0] == chart["categories"][0]["max"]  # items are filled in order


def test_tab_on_the_organisation_page(client_for, staff, django_assert_max_num_queries):
    evaluation = publish_with_total(EvaluationFactory(), 812)
    url = reverse("registry:organisation_detail", args=[evaluation.organisation_id])
    client = client_for(staff)
    with django_assert_max_num_queries(12):
        response = client.get(url, {"tab": "evaluations"})
    assert b'data-testid="evaluation-tab"' in response.content
    assert b'id="evaluation-radar-data"' in response.content
    assert b"4A" in response.content
