"""``load_demo`` makes the dashboard show a mixed, plausible picture: as of the end of
2019 some targets achieved, some on track and some at risk, off track or missed; at the plan's end
some achieved and some missed."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _progress(as_of):
    out = io.StringIO()
    call_command("target_progress", "--as-of", as_of, "--json", stdout=out)
    return json.loads(out.getvalue())


def _statuses(progress):
    return Counter(row["status"] for row in progress)


def test_the_demo_district_gives_a_mixed_picture():
    call_command("load_demo", stdout=io.StringIO())
    # The stored values of each date read.
    with_later = [_progress("2019-12-31"), _progress("2020-12-31")]
    mid = _statuses(with_later[0])
    assert mid["achieved"] + mid["achieved_above"] >= 3, mid
    assert mid["on_track"] >= 3, mid
    assert mid["at_risk"] + mid["off_track"] + mid["deteriorating"] >= 2, mid
    end = _statuses(with_later[1])
    assert end["achieved"] + end["achieved_above"] >= 5, end
    assert end["missed"] >= 1, end
    assert end["no_data"] < sum(end.values()) / 3, end
    # The plan has ended: only final statuses, and R5's headline is 2019's pass rate (the 2020
    # reports were not yet due on 2020-12-31), not 0 %.
    assert set(end) <= {"achieved", "achieved_above", "missed", "tracked", "no_data"}, end
    r5 = next(row for row in with_later[1] if row["code"] == "R5")
    assert r5["value"] and r5["value"] > 50, r5
    assert [y["status"] for y in r5["years"]][2] == "not_due"
    assert r5["value"] == r5["years"][1]["value"]

    # Annual reports go on after the plan (public profiles and the report board of 2021-2025
    # are not empty), and they change none of the plan's figures.
    from registry.models import AnnualReport

    later = AnnualReport.objects.filter(year__gt=2020)
    assert set(later.values_list("year", flat=True).distinct()) == {2021, 2022, 2023, 2024, 2025}
    legal_2025 = later.filter(year=2025).count()
    assert legal_2025 > 0.9 * AnnualReport.objects.filter(year=2020).count()
    later.delete()
    call_command("refresh_targets", stdout=io.StringIO())  # as the task does after the delete
    assert [_progress("2019-12-31"), _progress("2020-12-31")] == with_later
    # The stored values agree with the direct computation of every metric.
    call_command("refresh_targets", "--verify", "--dates", "6", "--seed", "5", stdout=io.StringIO())
