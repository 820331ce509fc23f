"""The public pages' rate limit: per client address, a token bucket, 429 with Retry-After."""

import pytest
from django.urls import reverse

from zhenhai_so.ratelimit import client_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    settings.DISCLOSURE_RATE_LIMIT = 3
    settings.DISCLOSURE_RATE_WINDOW = 60


def test_the_fourth_request_in_a_minute_is_refused_with_429(client, limit_of_three):
    url = reverse("disclosure:search")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(url)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.content.decode().count("<h1") == 1
    # Every public page shares the budget, downloads included.
    assert client.get(reverse("disclosure:inspections"), {"export": "csv"}).status_code == 429


def test_another_address_keeps_its_own_budget(client, limit_of_three):
    url = reverse("disclosure:search")
    for _ in range(4):
        client.get(url, REMOTE_ADDR="203.0.113.5")
    assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 429
    assert client.get(url, REMOTE_ADDR="203.0.113.6").status_code == 200


def test_the_budget_comes_back_as_the_bucket_refills(client, limit_of_three, time_machine):
    url = reverse("disclosure:search")
    time_machine.move_to("2020-09-01 10:00:05+08:00", tick=False)
    for _ in range(3):
        client.get(url)
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "20"  # three tokens a minute: one back every 20 s
    time_machine.move_to("2020-09-01 10:00:26+08:00", tick=False)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429


def test_signed_in_users_are_not_counted(client, limit_of_three, leader):
    client.force_login(leader)
    url = reverse("disclosure:search")
    assert {client.get(url).status_code for _ in range(5)} == {200}


def test_behind_proxies_the_address_is_the_one_the_trusted_proxy_saw(rf, settings):
    settings.PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7", REMOTE_ADDR="10.0.0.2")
    # The client may forge the first entry; the proxy appended the last one.
    assert client_address(request) == "198.51.100.7"
    settings.PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.2"


def test_a_forged_header_does_not_escape_the_limit_without_proxies(client, limit_of_three):
    url = reverse("disclosure:search")
    codes = [client.get(url, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
