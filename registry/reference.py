"""Reference data of the register: the seven township-level units and their villages and
communities, from ``fixtures/townships.json`` (NBS statistical division codes; the file says
which release and where it was read)."""

import json

from django.conf import settings

from .models import Community, Township

FIXTURE = settings.BASE_DIR / "fixtures" / "townships.json"


def load() -> list[str]:
    """Create or update townships and communities by code; returns a summary line."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    changed = 0
    community_count = 0
    for order, item in enumerate(data["townships"], start=1):
        township, created = Township.objects.get_or_create(
            code=item["code"],
            defaults={"name": item["name"], "kind": item.get("kind", ""), "order": order},
        )
        wanted = {"name": item["name"], "kind": item.get("kind", ""), "order": order}
        if created or any(getattr(township, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(township, key, value)
            township.save()
            changed += 1
        for entry in item.get("communities", []):
            community_count += 1
            values = {
                "township": township,
                "name": entry["name"],
                "kind": entry["kind"],
                "urban_rural_code": entry.get("urban_rural_code") or "",
            }
            community = Community.objects.filter(code=entry["code"]).first()
            if community is None:
                Community.objects.create(code=entry["code"], **values)
                changed += 1
            elif any(getattr(community, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(community, key, value)
                community.save()
                changed += 1
    return [
        f"registry: {len(data['townships'])} townships, {community_count} communities "
        f"({changed} created or updated)"
    ]
