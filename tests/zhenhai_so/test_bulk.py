"""zhenhai_so.bulk.bulk_insert: COPY on PostgreSQL writes exactly what bulk_create writes."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.forms.models import model_to_dict

from registry.models import Organisation, OrgType, Township
from tests.conftest import require_service
from tests.factories import credit_code_for
from zhenhai_so import bulk, dataversion

pytestmark = pytest.mark.django_db

EXCLUDED = ("id", "created_at", "updated_at")


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", f"tests run on {connection.vendor}; set DATABASE_URL")


def _broken(code: str) -> str:
    return code[:-1] + ("1" if code[-1] == "0" else "0")


def _organisations(prefix: str, count: int, start: int) -> list[Organisation]:
    township = Township.objects.order_by("order").first()
    return [
        Organisation(
            name=f"{prefix}{n}",
            org_type=OrgType.SOCIAL_GROUP,
            registration_mode="direct",
            sector="charity",
            # every tenth code is broken: the stored validity flag must say so
            credit_code=_broken(credit_code_for(OrgType.SOCIAL_GROUP, start + n))
            if n % 10 == 0
            else credit_code_for(OrgType.SOCIAL_GROUP, start + n),
            township=township,
            registered_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=n),
            capital=Decimal("12.50"),
            legal_representative="张三",
        )
        for n in range(count)
    ]


def _comparable(objects):
    return [
        {k: v for k, v in model_to_dict(o).items() if k not in EXCLUDED}
        | {"name": o.name[1:], "credit_code_valid": o.credit_code_valid}
        for o in objects
    ]


def test_copy_writes_what_bulk_create_writes(postgres, monkeypatch):
    count = bulk.COPY_MIN_ROWS + 20
    copied = bulk.bulk_insert(Organisation, _organisations("C", count, 1000))
    assert all(o.pk for o in copied) and len({o.pk for o in copied}) == count
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 10**9)  # the same rows by bulk_create
    created = bulk.bulk_insert(Organisation, _organisations("B", count, 1000 + count))
    stored_copied = Organisation.objects.filter(pk__in=[o.pk for o in copied]).order_by("pk")
    stored_created = Organisation.objects.filter(pk__in=[o.pk for o in created]).order_by("pk")
    first, second = _comparable(stored_copied), _comparable(stored_created)
    assert [r.pop("credit_code") for r in first] != [r.pop("credit_code") for r in second]
    assert first == second
    assert sum(not o.credit_code_valid for o in stored_copied) == len(range(0, count, 10))
    assert all(o.created_at is not None and o.updated_at is not None for o in stored_copied)
    # the sequence moved past the copied ids: the next ordinary insert does not collide
    assert Organisation.objects.create(
        name="之后", org_type=OrgType.COMMUNITY, registration_mode="filed", sector="charity",
        township=copied[0].township, registered_on=datetime.date(2020, 1, 1),
    ).pk > max(o.pk for o in copied)  # fmt: skip


def test_copy_writes_json_and_changes_the_data_version(postgres):
    """Audit entries carry JSON; a COPY into a table the targets read is a write they see."""
    content_type = ContentType.objects.get_for_model(Organisation)
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(n),
            object_id=n,
            object_repr=f"组织{n}",
            action=LogEntry.Action.CREATE,
            changes={"name": ["None", f"组织{n}"], "quote": ["None", 'a "b" \\ c\n']},
        )
        for n in range(bulk.COPY_MIN_ROWS)
    ]
    bulk.bulk_insert(LogEntry, entries)
    stored = LogEntry.objects.get(pk=entries[7].pk)
    assert stored.changes == {"name": ["None", "组织7"], "quote": ["None", 'a "b" \\ c\n']}
    assert stored.timestamp is not None
    before = dataversion.data_version()
    bulk.bulk_insert(Organisation, _organisations("V", bulk.COPY_MIN_ROWS, 5000))
    assert dataversion.data_version() != before
