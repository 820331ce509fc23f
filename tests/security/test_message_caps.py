"""An import's file-level message stays short whatever the file holds: a header of 16,000
unknown columns names the first few and counts the rest (docs/security.md, finding P11)."""

import pytest
from django.urls import reverse

from tests.imports.conftest import ORG_HEADERS, media_root, xlsx  # noqa: F401  (fixtures)
from zhenhai_so.importing import MESSAGE_MAX_CHARS, ImportFailed
from zhenhai_so.models import ImportJob

pytestmark = pytest.mark.django_db


def test_a_header_of_16000_columns_gives_a_short_message(client_for, staff, media_root):  # noqa: F811
    headers = ORG_HEADERS + [f"第{n}列很长的未知列名" for n in range(16_000)]
    client = client_for(staff)
    client.post(
        reverse("imports:start", kwargs={"kind": "organisations"}),
        {"file": xlsx([], headers=headers)},
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    assert 0 < len(job.message) <= MESSAGE_MAX_CHARS
    assert "15990" in job.message  # the ones left out are counted
    page = client.get(reverse("imports:job", kwargs={"kind": "organisations", "pk": job.pk}))
    assert len(page.content) < 100_000


def test_any_file_level_message_is_capped():
    assert len(str(ImportFailed("x" * 300_000))) <= MESSAGE_MAX_CHARS
