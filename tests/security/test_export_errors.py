"""An export whose query fails is an error, never a file that looks like an empty list
(docs/security.md, finding P10)."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _refuse_organisation_queries(execute, sql, params, many, context):
    if "registry_organisation" in sql and sql.lstrip().upper().startswith("SELECT"):
        raise OperationalError("the database went away")
    return execute(sql, params, many, context)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_failing_database_gives_an_error_not_an_empty_download(client, fmt):
    OrganisationFactory()
    client.raise_request_exception = False
    with connection.execute_wrapper(_refuse_organisation_queries):
        response = client.get(reverse("disclosure:search"), {"export": fmt})
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code >= 500
    assert "Content-Disposition" not in response
    assert b"\xef\xbb\xbf" not in body[:3]  # not the start of a CSV file


def test_a_failure_halfway_ends_the_file_with_a_mark_and_an_error():
    from disclosure.downloads import INTERRUPTED, csv_response

    def rows():
        yield ["91330211MJ0000001X", "协会一"]
        raise OperationalError("the database went away")

    response = csv_response("organisations", ["统一社会信用代码", "名称"], rows())
    received = []
    with pytest.raises(OperationalError):
        for chunk in response.streaming_content:
            received.append(chunk)
    text = b"".join(received).decode()
    assert "协会一" in text
    assert text.rstrip().endswith(str(INTERRUPTED))
