"""Township offices see only their township, on every page, in every filter's choices and in
every export (SECURITY.md item 9), walked over ``tests/test_access.py``'s ``ACCESS``: a page
added there is checked here too.

Another township gets a record whose name must appear nowhere a township office of the first
township looks: not in a page's HTML, not among a filter's ``<option>``s, not in an export's
cells. ``township`` selects offer only the office's own township.
"""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import OrganisationFactory
from tests.test_access import ACCESS, ANON, TOWNSHIP, _url

pytestmark = pytest.mark.django_db

SECRET = "外镇街保密测试协会"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = [
    name for name in sorted(ACCESS) if ACCESS[name][TOWNSHIP] == 200 and ACCESS[name][ANON] != 200
]
OPTIONS = re.compile(r'<select[^>]*name="township"[^>]*>(.*?)</select>', re.S)
VALUES = re.compile(r'<option value="([^"]*)"')


@pytest.fixture
def elsewhere(other_township):
    from procurement.models import Project  # noqa: F401  (the app is installed)
    from tests.factories import ProjectFactory

    organisation = OrganisationFactory(name=SECRET, township=other_township)
    ProjectFactory(organisation=organisation, name=f"{SECRET}项目")
    return organisation


def _cells(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.mark.parametrize("name", PAGES)
def test_a_township_office_sees_nothing_of_another_township(
    name, client, township_user, township, access_objects, elsewhere
):
    client.force_login(township_user)
    url = _url(name, access_objects)
    response = client.get(url)
    assert response.status_code == 200
    if response.get("Content-Type", "").startswith("text/html"):
        page = response.content.decode()
        assert SECRET not in page
        for select in OPTIONS.findall(page):
            assert set(VALUES.findall(select)) <= {"", str(township.pk)}, select[:300]
    exported = client.get(url, {"export": "xlsx"})
    if exported.status_code == 200 and exported.get("Content-Type", "").startswith(XLSX):
        content = b"".join(exported.streaming_content) if exported.streaming else exported.content
        assert SECRET not in _cells(content)
