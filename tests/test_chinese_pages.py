"""Every page, rendered in Chinese as each role that may open it, shows no English word and no
raw field name in its visible text: only codes, numbers, units, record identifiers and the few
names that are ASCII in Chinese too (Excel, PDF, 5A, …).

The walk is ``tests/test_access.py``'s: every URL with the objects of
``tests/access_objects.py``, plus the organisation page's tabs with a change history."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from tests.test_access import ACCESS, ALL_ROLES, ANON, _url

# Names that are ASCII in Chinese text as well, by the word.
ALLOWED_WORDS = {
    "excel", "pdf", "xlsx", "csv", "id", "ip", "url", "email", "e-mail", "http", "https",
    "www", "gb", "uscc", "ukey", "totp", "qr", "ok", "app", "cpu", "echarts", "bootstrap",
    "django", "postgresql", "sqlite", "redis", "celery", "gunicorn", "vs",
    "readme", "google", "microsoft", "authenticator",  # the authenticator apps' own names
    "python",  # how to repeat a random draw: Python's random.Random(seed)
}  # fmt: skip
# Spreadsheet literals the import accepts, as written in Excel.
ALLOWED_EXACT = {"TRUE", "FALSE"}
# Codes, units and identifiers: credit codes and other codes with digits, grades (5A), units.
ALLOWED_PATTERNS = [
    re.compile(p)
    for p in (
        r"^[0-9A-Z-]*\d[0-9A-Z-]*$",  # codes with digits: credit codes, ZH-T-00001, 5A, 2019A
        r"^[a-z0-9-]*\d[a-z0-9-]*$",  # codes of systems and plans: zhenhai-2018
        r"^[A-Z]{1,3}\d*$",  # indicator and target codes: C7, G2, P3, A
        r"^(?:m|km|kg|MB|KB|GB|ms)$",  # units (m², 10 MB)
    )
]
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9_]|[A-Za-z]")
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp", "pre", "textarea", "template"}
# Text that is a record's own identifier wherever it appears: logins, emails, URLs, file names.
IDENTIFIER = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email
    r"|https?://\S+|/[\w/.-]+/"  # URL or path
    r"|[\w.-]+\.(?:xlsx|pdf|docx?|csv|png|jpe?g)\b"  # file name
    r"|(?<![A-Za-z0-9_])[a-z]+_(?:user|admin)(?![A-Za-z0-9_])"  # the walk's login names
)


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skipping = 0
        self.chunks = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.chunks.append(dict(attrs).get("value") or "")
        attributes = dict(attrs)
        for name in ("placeholder", "title", "aria-label"):
            if attributes.get(name):
                self.chunks.append(attributes[name])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.chunks.append(data)


def english_words(html: str) -> list[str]:
    """The words of the page's visible text that are neither allowed names nor codes."""
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for chunk in parser.chunks:
        chunk = IDENTIFIER.sub(" ", chunk)
        for word in WORD.findall(chunk):
            if "_" in word:  # a raw field or parameter name: never allowed
                found.append(word)
            elif (
                word in ALLOWED_EXACT
                or word.lower() in ALLOWED_WORDS
                or any(p.match(word) for p in ALLOWED_PATTERNS)
            ):
                continue
            else:
                found.append(word)
    return found


def _chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _check(client, url, who):
    response = client.get(url)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return []
    return [f"{url} as {who}: {w}" for w in english_words(response.content.decode())]


PAGES = sorted(ACCESS)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_in_chinese_shows_no_english_word(name, client, role_users, access_objects):
    _chinese(client)
    problems = []
    for role in ALL_ROLES:
        if ACCESS[name][role] != 200:
            continue
        client.force_login(role_users[role])
        problems += _check(client, _url(name, access_objects), role)
    if ACCESS[name][ANON] == 200:
        client.logout()
        _chinese(client)
        problems += _check(client, _url(name, access_objects), ANON)
    assert problems == [], "\n".join(problems)


def test_the_organisation_tabs_and_change_history_are_in_chinese(
    client, role_users, access_objects, staff
):
    from registry.tabs import tabs_for

    organisation = access_objects.organisation
    organisation.status = "deregistered"
    organisation.dissolved_on = datetime.date(2020, 5, 1)
    organisation.grade_expires_on = datetime.date(2024, 7, 14)
    organisation.is_hub = True
    organisation.save()  # an "update" entry with a choice, a date and a boolean
    _chinese(client)
    client.force_login(staff)
    url = reverse("registry:organisation_detail", kwargs={"pk": organisation.pk})
    problems = []
    for tab in tabs_for(staff):
        problems += _check(client, f"{url}?tab={tab.key}", f"staff, tab {tab.key}")
    assert problems == [], "\n".join(problems)
    history = client.get(f"{url}?tab=history").content.decode()
    assert "已注销" in history or "注销" in history
    assert "是" in history and "空" in history


def test_the_check_flags_english_and_raw_names():
    assert english_words("<p>名称 (descending)</p>") == ["descending"]
    assert english_words("<td>grade_expires_on</td>") == ["grade_expires_on"]
    assert english_words("<p>5A 91330211MJ0000017X Excel</p><script>var x;</script>") == []


def test_the_evaluation_steps_say_what_happened_in_chinese():
    from django.utils import translation

    from evaluation.views import ACTIONS

    with translation.override("zh-hans"):
        for action, (_form, _service, _fields, success) in ACTIONS.items():
            assert not re.search(r"[A-Za-z]", str(success)), action


def test_the_indicator_system_page_shows_no_research_notes(client, staff):
    _chinese(client)
    client.force_login(staff)
    page = client.get(reverse("evaluation:system_list"), {"code": "zhenhai-2018"})
    text = page.content.decode()
    assert "未检索到" not in text and "load_reference" not in text


# Every target's page (the walk opens one): their data sources and extra figures in words.
TARGET_CODES = [
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "P1",
    "P2",
    "P3",
    "P4",
    "P5",
    "P6",
    "P7",
    "P8",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "C6",
    "C7",
    "C8",
    "C9",
    "B1",
    "B2",
    "B3",
    "S1",
    "S2",
    "S3",
    "S4",
    "S5",
    "S6",
    "S7",
    "S8",
    "S9",
    "G1",
    "G2",
    "G3",
]


@pytest.mark.parametrize("code", TARGET_CODES)
def test_every_target_page_in_chinese_shows_no_english_word(code, client, staff, township):
    from targets.models import Target

    target = Target.objects.get(plan__code="zhenhai-2018-2020", code=code)
    _chinese(client)
    client.force_login(staff)
    problems = _check(client, reverse("targets:target_detail", kwargs={"pk": target.pk}), "staff")
    problems += _check(
        client,
        reverse("targets:target_township", kwargs={"pk": target.pk, "township_pk": township.pk}),
        "staff",
    )
    assert problems == [], "\n".join(problems)


def test_target_sources_and_figures_are_named_in_words():
    from django.utils import translation

    from targets.views import _extras, source_label

    with translation.override("zh-hans"):
        assert source_label("registry + population") == "登记信息 + 人口数据"
        labels = dict(_extras({"per_10k_resident": 1, "previous_amount": 2, "note": "x"}))
        assert {str(k) for k in labels} == {"每万常住人口", "上年同期合同金额（万元）"}
