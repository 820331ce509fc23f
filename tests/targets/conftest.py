import pytest


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
