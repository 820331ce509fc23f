"""Plans, their targets, milestones, quarterly indicators and population figures, from
``fixtures/plan_*.json`` (one file per plan). Idempotent: records are matched by their codes, so a
second run changes nothing and a later plan is one more fixture, not code.

Milestones are matched by (target, key); only their titles and order come from the fixture, so a
completion date entered by bureau staff survives a reload."""

import datetime
import json
from decimal import Decimal

from django.conf import settings

from .models import Milestone, Plan, Population, QuarterlyIndicator, Target

FIXTURES = settings.BASE_DIR / "fixtures"


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _upsert(model, lookup: dict, values: dict) -> bool:
    """Create or update one record; True when something was written."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return True
    if all(getattr(obj, k) == v for k, v in values.items()):
        return False
    for key, value in values.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    return True


def load_plan(data: dict) -> int:
    """Load one plan's fixture data; returns how many records were created or updated."""
    p = data["plan"]
    changed = _upsert(
        Plan,
        {"code": p["code"]},
        {
            "name": p["name"],
            "starts_on": _date(p["starts_on"]),
            "ends_on": _date(p["ends_on"]),
            "baseline_date": _date(p["baseline_date"]),
            "issued_on": _date(p.get("issued_on")),
            "source": p.get("source", ""),
        },
    )
    plan = Plan.objects.get(code=p["code"])
    for t in data["targets"]:
        changed += _upsert(
            Target,
            {"plan": plan, "code": t["code"]},
            {
                "section": t["section"],
                "title": t["title"],
                "plan_wording": t["plan_wording"],
                "interpretation": t.get("interpretation", ""),
                "metric": t["metric"],
                "params": t.get("params") or {},
                "comparator": t["comparator"],
                "value": _decimal(t.get("value")),
                "value_max": _decimal(t.get("value_max")),
                "unit": t["unit"],
                "baseline": _decimal(t.get("baseline")),
                "baseline_date": _date(t.get("baseline_date")),
                "deadline": _date(t.get("deadline")),
                "annual": bool(t.get("annual")),
                "years": t.get("years") or [],
                "source": t.get("source", ""),
                "order": t.get("order", 0),
            },
        )
    targets = {t.code: t for t in plan.targets.all()}
    for m in data.get("milestones", []):
        changed += _upsert(
            Milestone,
            {"target": targets[m["target"]], "key": m["key"]},
            {"title": m["title"], "order": m.get("order", 0)},
        )
    for i in data.get("indicators", []):
        changed += _upsert(
            QuarterlyIndicator,
            {"plan": plan, "code": i["code"]},
            {
                "label": i["label"],
                "help_text": i.get("help_text", ""),
                "kind": i["kind"],
                "per_community": bool(i.get("per_community")),
                "required": bool(i.get("required")),
                "register_check": i.get("register_check", ""),
                "order": i.get("order", 0),
            },
        )
    for pop in data.get("populations", []):
        changed += _upsert(
            Population,
            {"year": pop["year"], "kind": pop["kind"]},
            {"count": pop["count"], "source": pop.get("source", "")},
        )
    return changed


def load() -> list[str]:
    lines = []
    for path in sorted(FIXTURES.glob("plan_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        changed = load_plan(data)
        lines.append(
            f"targets: plan {data['plan']['code']}: {len(data['targets'])} targets "
            f"({changed} records created or updated)"
        )
    return lines
