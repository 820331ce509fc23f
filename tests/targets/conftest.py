import pytest


@pytest.fixture(autouse=True)
def _no_refresh_waiting(db):
    """No refresh request or queued mark left by another test (the reference data reloaded after
    a transactional test's flush is a committed change too, and Redis outlives a test)."""
    from django.core.cache import cache

    from targets.models import RefreshRequest
    from targets.tasks import QUEUED_KEY

    RefreshRequest.objects.all().delete()
    cache.delete(QUEUED_KEY)


@pytest.fixture
def plan(db):
    from targets.models import Plan

    return Plan.objects.get(code="zhenhai-2018-2020")


@pytest.fixture
def target_of(plan):
    def get(code):
        return plan.targets.get(code=code)

    return get


def filled(values=None) -> dict:
    """Every required township figure with a plain value, plus the given ones."""
    base = {
        (code, None): {"value": value}
        for code, value in [
            ("service_centre_working", "1"), ("party_mass_integrated", "1"),
            ("rural_demo_platforms", "0"), ("trainings_held", "2"), ("training_attendance", "60"),
            ("community_orgs_filed", "3"), ("welfare_activities", "10"), ("people_served", "500"),
            ("volunteers", "40"),
        ]
    }  # fmt: skip
    return base | (values or {})


def stored_point(target, *, as_of, township_id=None, year=0):
    """The stored point of the target's series on the date (None where nothing is stored)."""
    from targets.models import Series
    from targets.series import read

    series = Series.objects.filter(target=target, year=year)
    series = (
        series.filter(township__isnull=True)
        if township_id is None
        else series.filter(township_id=township_id)
    )
    readings = read(series, [as_of])
    reading = readings.get((target.pk, township_id, year), {}).get(as_of)
    return reading.point if reading else None


def checked(target, *, as_of, township_id=None, year=None):
    """The metric computed directly, after checking that its stored series, computed afresh,
    gives the same value, numerator and denominator on that date and scope: every hand-made case
    of the metric tests is thereby a case of the series too."""
    from targets import metrics, services
    from targets.series import rounded

    result = metrics.compute(target, as_of=as_of, township_id=township_id, year=year)
    services.series_refresh(targets=[target])
    key_year = 0
    if target.annual:
        key_year = year or result.extras.get("year") or as_of.year
    point = stored_point(target, as_of=as_of, township_id=township_id, year=key_year)
    stored = (None, None, None)
    if point is not None:
        stored = (point.value, point.numerator, point.denominator)
    direct = (result.value, result.numerator, result.denominator)
    differs = services._differs(
        tuple(rounded(x) for x in direct), tuple(rounded(x) for x in stored)
    )
    assert not differs, (target.code, "stored", stored, "direct", direct)
    return result


@pytest.fixture
def refresh(db):
    """Compute and store every target's series now (what the task does after a commit)."""
    from targets import services

    def run(**kwargs):
        return services.series_refresh(**kwargs)

    return run
