"""Reference data of evaluation: every ``fixtures/indicator_system_*.json``, one system per file,
matched by code. A new version loads beside the older ones; a system that evaluations have been
scored on is never changed (an evaluation keeps the version it was scored on), so a fixture that
differs from such a system is reported, not applied."""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Category, IndicatorSystem, Item, Threshold

FIXTURES = settings.BASE_DIR / "fixtures"


def _as_data(system: IndicatorSystem) -> dict:
    """The stored system in the fixture's shape, to compare with a file."""
    categories = []
    items_by_category: dict[int, list] = {}
    for item in system.items.order_by("order"):
        items_by_category.setdefault(item.category_id, []).append(
            {
                "code": item.code,
                "name": item.name,
                "max_points": Decimal(item.max_points),
                "scoring": item.scoring,
            }
        )
    for category in system.categories.order_by("order"):
        categories.append(
            {
                "code": category.code,
                "name": category.name,
                "first_level": category.first_level,
                "source": category.source,
                "items": items_by_category.get(category.pk, []),
            }
        )
    return {
        "name": system.name,
        "applies_from": system.applies_from,
        "org_types": list(system.org_types),
        "total_points": Decimal(system.total_points),
        "validity_years": system.validity_years,
        "source": system.source,
        "thresholds": sorted((t.grade, Decimal(t.min_total)) for t in system.thresholds.all()),
        "categories": categories,
    }


def _normalise(data: dict) -> dict:
    """The file's content reduced to what ``_as_data`` returns."""
    return {
        "name": data["name"],
        "applies_from": int(data["applies_from"]),
        "org_types": list(data["org_types"]),
        "total_points": Decimal(str(data["total_points"])),
        "validity_years": int(data.get("validity_years", 5)),
        "source": data.get("source", ""),
        "thresholds": sorted(
            (t["grade"], Decimal(str(t["min_total"]))) for t in data["thresholds"]
        ),
        "categories": [
            {
                "code": c["code"],
                "name": c["name"],
                "first_level": c.get("first_level", ""),
                "source": c.get("source", ""),
                "items": [
                    {
                        "code": i["code"],
                        "name": i["name"],
                        "max_points": Decimal(str(i["max_points"])),
                        "scoring": i.get("scoring", ""),
                    }
                    for i in c["items"]
                ],
            }
            for c in data["categories"]
        ],
    }


def check(data: dict) -> list[str]:
    """Problems with a fixture's content: the item maxima must add up to the total, codes unique."""
    problems = []
    items = [i for c in data["categories"] for i in c["items"]]
    total = sum(i["max_points"] for i in items)
    if total != data["total_points"]:
        problems.append(f"items add up to {total}, not {data['total_points']}")
    codes = [i["code"] for i in items]
    if len(set(codes)) != len(codes):
        problems.append("item codes repeat")
    return problems


def _write(system: IndicatorSystem, data: dict) -> None:
    system.thresholds.all().delete()
    system.items.all().delete()
    system.categories.all().delete()
    Threshold.objects.bulk_create(
        Threshold(system=system, grade=grade, min_total=min_total)
        for grade, min_total in data["thresholds"]
    )
    order = 0
    for c_order, entry in enumerate(data["categories"], start=1):
        category = Category.objects.create(
            system=system,
            code=entry["code"],
            name=entry["name"],
            first_level=entry["first_level"],
            source=entry["source"],
            order=c_order,
        )
        items = []
        for item in entry["items"]:
            order += 1
            items.append(Item(system=system, category=category, order=order, **item))
        Item.objects.bulk_create(items)


FIELDS = ("name", "applies_from", "org_types", "total_points", "validity_years", "source")


@transaction.atomic
def load_file(path: Path) -> str:
    """Load one system file; returns one line saying what happened."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    code = raw["code"]
    data = _normalise(raw)
    problems = check(data)
    if problems:
        return f"evaluation: {code}: not loaded, {'; '.join(problems)}"
    system = IndicatorSystem.objects.filter(code=code).first()
    if system is None:
        system = IndicatorSystem(code=code, **{f: data[f] for f in FIELDS})
        system.full_clean()
        system.save()
        _write(system, data)
        return (
            f"evaluation: {code}: loaded ({sum(len(c['items']) for c in data['categories'])} items)"
        )
    if _as_data(system) == data:
        return f"evaluation: {code}: unchanged"
    used = system.evaluations.count()
    if used:
        return (
            f"evaluation: {code}: the fixture differs from the stored system, which {used} "
            "evaluations use; left unchanged (load a revision under a new code)"
        )
    for name in FIELDS:
        setattr(system, name, data[name])
    system.full_clean()
    system.save()
    _write(system, data)
    return f"evaluation: {code}: updated from the fixture (no evaluations used it)"


def load() -> list[str]:
    return [load_file(path) for path in sorted(FIXTURES.glob("indicator_system_*.json"))]
