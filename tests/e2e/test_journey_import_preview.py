"""Browser journey: staff export the register list, re-import the file unchanged (the preview
says every row is unchanged and the grade column is ignored), then change one cell and see the
preview name that row's change, old → new, before confirming it."""

import io

import pytest
from openpyxl import load_workbook

from registry.models import Organisation
from tests.factories import TEST_PASSWORD, OrganisationFactory, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_staff_re_import_a_list_export_and_preview_a_change(journey, tmp_path):
    from django.core.management import call_command
    from django.db import transaction

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    make_user("liuke", Role.BUREAU_STAFF, full_name="刘科员")
    with transaction.atomic():  # the eager targets refresh runs after the commit
        OrganisationFactory(name="镇海区预览测试协会", grade="4A", legal_representative="张三")
        OrganisationFactory(name="镇海区预览测试中心", legal_representative="李四")
    page = journey.page
    journey.login("liuke", TEST_PASSWORD)

    journey.go("/registry/organisations/")
    content = journey.download("a[href*='export=xlsx']", "export")
    path = tmp_path / "organisations.xlsx"
    path.write_bytes(content)

    # The file as exported: every row unchanged, the read-only grade column ignored.
    journey.go("/imports/organisations/")
    page.set_input_files("input[type=file]", str(path))
    page.click("[data-testid=import-upload] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("preview-unchanged")
    assert page.locator("[data-count=unchanged]").inner_text().strip() == "2"
    assert page.locator("[data-count=invalid]").inner_text().strip() == "0"
    assert "评估等级" in page.locator("[data-testid=ignored-columns]").inner_text()

    # One legal representative changed: the preview names the row, the column, old → new.
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    headers = [c.value for c in sheet[1]]
    column = headers.index("法定代表人") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, column).value == "李四":
            sheet.cell(row, column).value = "王五"
    workbook.save(path)
    journey.go("/imports/organisations/")
    page.set_input_files("input[type=file]", str(path))
    page.click("[data-testid=import-upload] button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("[data-testid=preview-filter] a[href='?state=changed']")
    page.wait_for_load_state("networkidle")
    journey.shot("preview-changed")
    changed = page.locator("[data-testid=preview-rows] tbody tr[data-state=changed]")
    assert changed.count() == 1
    assert "李四" in changed.inner_text() and "王五" in changed.inner_text()
    assert Organisation.objects.get(name="镇海区预览测试中心").legal_representative == "李四"

    page.click("[data-testid=import-confirm] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("imported")
    assert Organisation.objects.get(name="镇海区预览测试中心").legal_representative == "王五"
    journey.assert_clean()
