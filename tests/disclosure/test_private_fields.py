"""No private field reaches a public page or download.

Every private field gets a marker that appears nowhere else; every public page and every
download is fetched as an anonymous visitor, and no marker may appear in any of them. What is
private, and why, is listed in ``disclosure/selectors.py``.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from procurement.models import Award, Brand, PerformanceEvaluation, ProjectStep
from registry.models import AnnualReport, Inspection, ListEntry, RegistrationApplication
from tests.factories import OrganisationFactory, ProjectFactory, make_user
from zhenhai_so.roles import Role

pytestmark = pytest.mark.django_db

MARKERS = {
    "organisation phone": "PHONE-MK-13957400001",
    "organisation capital": "97531",
    "report full-time staff": "864213",
    "report office area": "753198",
    "report party members": "642135",
    "report income": "531864",
    "report spending": "418642",
    "inspectors": "INSPECTORS-MK",
    "inspection findings": "FINDINGS-MK",
    "list entry details": "DETAILS-MK",
    "list entry removal reason": "REMOVAL-MK",
    "listing user": "listeruser-mk",
    "listing user's name": "LISTER-NAME-MK",
    "draft application name": "DRAFT-ORG-MK",
    "application applicant": "APPLICANT-MK",
    "application reason": "APP-REASON-MK",
    "application data": "APP-DATA-MK",
    "declared project": "DECLARED-PROJECT-MK",
    "project budget": "319753",
    "project personnel share": "37.13",
    "project step note": "STEP-NOTE-MK",
    "performance evaluation agency": "AGENCY-MK",
}
# Numbers may be printed with a thousands separator.
SPELLINGS = {k: {v, f"{int(v):,}"} if v.isdigit() else {v} for k, v in MARKERS.items()}


@pytest.fixture
def records(township):
    lister = make_user("listeruser-mk", Role.BUREAU_STAFF, full_name="LISTER-NAME-MK")
    organisation = OrganisationFactory(
        name="公开测试协会",
        township=township,
        phone=MARKERS["organisation phone"],
        capital=Decimal("97531.86"),
        registered_on=datetime.date(2015, 3, 1),
    )
    AnnualReport.objects.create(
        organisation=organisation,
        year=2018,
        submitted_on=datetime.date(2019, 4, 1),
        result="qualified",
        full_time_staff=864213,
        office_area=Decimal("753198.7"),
        party_members=642135,
        income=Decimal("531864.21"),
        spending=Decimal("418642.13"),
    )
    Inspection.objects.create(
        organisation=organisation,
        inspected_on=datetime.date(2019, 5, 1),
        inspectors=MARKERS["inspectors"],
        result="rectify",
        findings=MARKERS["inspection findings"],
        published_on=datetime.date(2019, 6, 1),
    )
    ListEntry.objects.create(
        organisation=organisation,
        kind="abnormal",
        reason="not_rectified",
        details=MARKERS["list entry details"],
        listed_on=datetime.date(2019, 8, 1),
        listed_by=lister,
    )
    ListEntry.objects.create(
        organisation=organisation,
        kind="serious",
        reason="other",
        details=MARKERS["list entry details"],
        listed_on=datetime.date(2017, 1, 1),
        listed_by=lister,
        removed_on=datetime.date(2018, 1, 1),
        removal_reason=MARKERS["list entry removal reason"],
        removed_by=lister,
    )
    RegistrationApplication.objects.create(
        kind="establish",
        township=township,
        name=MARKERS["draft application name"],
        applicant=MARKERS["application applicant"],
        reason=MARKERS["application reason"],
        data={"name": MARKERS["draft application name"], "phone": MARKERS["application data"]},
        created_by=lister,
    )
    ProjectFactory(organisation=organisation, name=MARKERS["declared project"], state="declared")
    finished = ProjectFactory(
        organisation=organisation,
        name="公开的完成项目",
        state="finished",
        finished_on=datetime.date(2019, 12, 20),
        budget=Decimal("319753.00"),
        personnel_share=Decimal("37.13"),
    )
    ProjectStep.objects.create(
        project=finished, to_state="finished", actor=lister, note=MARKERS["project step note"]
    )
    PerformanceEvaluation.objects.create(
        project=finished,
        agency=MARKERS["performance evaluation agency"],
        score=Decimal("88.00"),
        evaluated_on=datetime.date(2020, 1, 10),
    )
    Award.objects.create(
        year=2019, organisation=organisation, name="公开团队", named_on=datetime.date(2019, 12, 1)
    )
    Brand.objects.create(
        name="公开品牌",
        level="district",
        organisation=organisation,
        project=finished,
        named_on=datetime.date(2019, 5, 1),
        year=2019,
    )
    return organisation


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _text(response) -> str:
    assert response.status_code == 200
    if response.streaming:
        body = b"".join(response.streaming_content)
        if response["Content-Type"].startswith("text/csv"):
            return body.decode("utf-8")
        workbook = load_workbook(io.BytesIO(body))
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    # The CSRF token is random text: drop it so that it cannot spell a marker by chance.
    return CSRF.sub("", response.content.decode())


LISTS = [
    ("disclosure:search", {}),
    ("disclosure:list_entries", {"kind": "abnormal"}),
    ("disclosure:list_entries", {"kind": "serious"}),
    ("disclosure:inspections", {}),
    ("disclosure:projects", {}),
    ("disclosure:awards", {}),
    ("disclosure:brands", {}),
]


def test_no_private_field_reaches_any_public_page_or_download(client, records):
    responses = {"profile": client.get(reverse("disclosure:organisation", args=[records.pk]))}
    for name, kwargs in LISTS:
        url = reverse(name, kwargs=kwargs)
        responses[url] = client.get(url)
        for fmt in ("xlsx", "csv"):
            responses[f"{url} {fmt}"] = client.get(url, {"export": fmt})
    texts = {page: _text(response) for page, response in responses.items()}
    # The pages do show the organisation, so an empty page cannot pass this test.
    assert "公开测试协会" in texts["profile"]
    assert "公开的完成项目" in texts["profile"]
    leaks = [
        (field, page)
        for page, text in texts.items()
        for field, spellings in SPELLINGS.items()
        if any(s in text for s in spellings)
    ]
    assert leaks == []


def test_the_markers_would_be_caught_on_a_staff_page(client, records, staff):
    """The check is real: the staff's organisation page does show the phone marker."""
    client.force_login(staff)
    response = client.get(reverse("registry:organisation_detail", args=[records.pk]))
    assert MARKERS["organisation phone"] in response.content.decode()


@pytest.fixture
def deferred_loads(monkeypatch):
    """Records every field read that ``only()`` left out: Django fetches such a field on first
    access through ``refresh_from_db(fields=...)``."""
    from django.db.models import Model

    loads = []
    original = Model.refresh_from_db

    def recording(self, using=None, fields=None, **kwargs):
        loads.append((type(self).__name__, tuple(fields or ())))
        return original(self, using=using, fields=fields, **kwargs)

    monkeypatch.setattr(Model, "refresh_from_db", recording)
    return loads


def test_public_pages_read_no_field_beyond_the_public_ones(client, records, deferred_loads):
    """Whatever field a model gains later, a page or download can show it only by naming it in
    ``disclosure/selectors.py``: a template reaching for any other field would load it here."""
    pages = [reverse("disclosure:organisation", args=[records.pk])]
    pages += [reverse(name, kwargs=kwargs) for name, kwargs in LISTS]
    for url in pages:
        _text(client.get(url))
        for fmt in ("xlsx", "csv"):
            _text(client.get(url, {"export": fmt}))
    assert deferred_loads == []


def test_the_deferred_load_recorder_sees_a_private_field(records, deferred_loads):
    from disclosure import selectors

    organisation = selectors.public_organisations().get(pk=records.pk)
    assert organisation.phone == MARKERS["organisation phone"]
    assert deferred_loads == [("Organisation", ("phone",))]
