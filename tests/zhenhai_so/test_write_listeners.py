"""What listens for committed writes (the targets' refresh) hears of them at a safe point: when the
transaction commits, or, for a write made outside one, after the request, never from inside the
statement that wrote."""

import pytest
from django.db import transaction

from registry.models import Township
from tests.factories import OrganisationFactory
from tests.tasks.conftest import reference_restored  # noqa: F401  (a fixture)
from zhenhai_so import dataversion


def organisation():
    township, _created = Township.objects.get_or_create(
        code="330211001000", defaults={"name": "招宝山街道", "order": 1}
    )
    return OrganisationFactory(township=township)


@pytest.fixture
def heard(reference_restored, transactional_db, monkeypatch):  # noqa: F811
    tables = []
    monkeypatch.setattr(dataversion, "_listeners", [lambda written: tables.append(set(written))])
    return tables


def test_a_write_outside_a_transaction_is_heard_after_the_request(heard):
    organisation()
    assert heard == []  # nothing runs inside the statement (or the save around it)
    dataversion.flush_after_request()
    assert "registry_organisation" in heard[0]
    dataversion.flush_after_request()
    assert len(heard) == 1  # told once


def test_a_transactions_writes_are_heard_once_when_it_commits(heard):
    with transaction.atomic():
        organisation()
        organisation()
        assert heard == []
    assert len(heard) == 1 and "registry_organisation" in heard[0]


def test_a_rolled_back_transaction_is_not_heard_at_its_end(heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        organisation()
        raise RuntimeError
    assert heard == []
