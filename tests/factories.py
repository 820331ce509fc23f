"""factory_boy factories for the portal's models, used by tests and by the demo data."""

import datetime

import factory
from django.utils import timezone

from registry.models import (
    AnnualReport,
    Community,
    Organisation,
    OrgType,
    RegistrationMode,
    Sector,
    Township,
)
from registry.validators import make_credit_code
from zhenhai_so.models import User
from zhenhai_so.services import user_create

TEST_PASSWORD = "Correct-Horse-9"

_CATEGORY = {
    OrgType.SOCIAL_GROUP: "1",
    OrgType.PRIVATE_NON_ENTERPRISE: "2",
    OrgType.FOUNDATION: "3",
}


def make_user(username: str, role: str, township=None, **extra) -> User:
    """A user of the role with a known password and nothing left to change at login."""
    extra.setdefault("must_change_password", False)
    return user_create(
        username=username, role=role, township=township, password=TEST_PASSWORD, **extra
    )


def credit_code_for(org_type: str, serial: int) -> str:
    """A valid, unique credit code for a legal organisation (empty for filed ones)."""
    if org_type == OrgType.COMMUNITY:
        return ""
    return make_credit_code(_CATEGORY[org_type], "330211", f"MJ{serial:06d}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"镇海区测试社会组织{n}")
    org_type = OrgType.SOCIAL_GROUP
    registration_mode = factory.LazyAttribute(
        lambda o: (
            RegistrationMode.FILED if o.org_type == OrgType.COMMUNITY else RegistrationMode.DIRECT
        )
    )
    sector = Sector.CHARITY
    credit_code = factory.LazyAttributeSequence(lambda o, n: credit_code_for(o.org_type, n + 1))
    township = factory.LazyFunction(lambda: Township.objects.order_by("order").first())
    registered_on = datetime.date(2015, 3, 1)
    legal_representative = "张三"


class AnnualReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualReport

    organisation = factory.SubFactory(OrganisationFactory)
    year = 2018
    submitted_on = datetime.date(2019, 4, 1)
    result = AnnualReport.Result.QUALIFIED


def community_of(township, kind=Community.Kind.URBAN) -> Community:
    return Community.objects.filter(township=township, kind=kind).first()


def now():
    return timezone.now()


# --- evaluation ---------------------------------------------------------------------------------


def indicator_system(code: str = "zhenhai-2018"):
    """An indicator system loaded by load_reference (the test database has both versions)."""
    from evaluation.models import IndicatorSystem

    return IndicatorSystem.objects.get(code=code)


class EvaluationFactory(factory.django.DjangoModelFactory):
    """A draft evaluation (no scores). Move it on through ``evaluation.services``; the
    ``published`` trait gives a published record directly, for pages that only read it."""

    class Meta:
        model = "evaluation.Evaluation"

    organisation = factory.SubFactory(OrganisationFactory)
    system = factory.LazyFunction(indicator_system)
    agency = "宁波市社会组织评估中心"
    evaluated_on = datetime.date(2019, 6, 1)
    year = factory.LazyAttribute(lambda e: e.evaluated_on.year)

    class Params:
        published = factory.Trait(
            state="published",
            total=920,
            grade="5A",
            confirmed_on=datetime.date(2019, 7, 1),
            notice_starts_on=datetime.date(2019, 7, 2),
            notice_ends_on=datetime.date(2019, 7, 9),
            published_on=datetime.date(2019, 7, 15),
            valid_until=datetime.date(2024, 7, 14),
        )


# --- procurement and party building -------------------------------------------------------------


class ProjectFactory(factory.django.DjangoModelFactory):
    """A declared purchase-of-service project of 2019, signed, in its organisation's township."""

    class Meta:
        model = "procurement.Project"

    code = factory.Sequence(lambda n: f"ZH-T-{n:05d}")
    channel = "purchase"
    name = factory.Sequence(lambda n: f"测试服务项目{n}")
    buyer = "区民政局"
    organisation = factory.SubFactory(OrganisationFactory)
    township = factory.LazyAttribute(lambda p: p.organisation.township)
    year = 2019
    budget = 50000
    contract_amount = 48000
    signed_on = datetime.date(2019, 3, 1)
    starts_on = datetime.date(2019, 3, 1)
    ends_on = datetime.date(2019, 12, 31)


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partybuilding.Training"

    kind = "leaders"
    level = "district"
    held_on = datetime.date(2019, 5, 10)
    title = factory.Sequence(lambda n: f"社会组织党组织负责人专题培训班{n}")
    organiser = "区社会组织综合党委"
    attendees = 40
