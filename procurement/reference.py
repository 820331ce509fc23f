"""Reference data of procurement: the personnel-cost caps of social-work service projects.

Plan 2018–2020 三(四)3: "至2020年底，将专业社工服务项目列支本组织专门从事社工服务的人员工资经费
比例从现有区公益创投资金管理办法中的30% 提高到60%". The 30 % comes from the district's
public-welfare venture funding rules (区公益创投资金管理办法), applied here from 2014, when the
district's venture programme began; the plan leaves the date of the rise open ("至2020年底"), and
the bureau applied 60 % from 1 January 2019. Both dates are data: a later change is one more row.
"""

import datetime
from decimal import Decimal

from .models import PersonnelCostCap

CAPS = [
    (datetime.date(2014, 1, 1), Decimal("30"), "区公益创投资金管理办法"),
    (datetime.date(2019, 1, 1), Decimal("60"), "镇海区社会组织发展三年行动计划(2018-2020) 三(四)3"),
]


def load() -> list[str]:
    """Create or update the caps by their effective date; idempotent."""
    changed = 0
    for effective_from, cap, source in CAPS:
        _cap, created = PersonnelCostCap.objects.get_or_create(
            effective_from=effective_from, defaults={"cap_percent": cap, "source": source}
        )
        if not created and (_cap.cap_percent, _cap.source) != (cap, source):
            _cap.cap_percent, _cap.source = cap, source
            _cap.save()
            changed += 1
        changed += created
    return [f"Personnel-cost caps: {len(CAPS)} ({changed} created or changed)"]
