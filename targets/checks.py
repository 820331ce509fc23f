"""A target naming an unknown metric, or giving it wrong parameters, stops the portal at start-up
(``manage.py check``, every command and the test run), instead of showing "no data"."""

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.database)
def check_target_metrics(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from .metrics import METRICS
    from .models import QuarterlyIndicator, Target

    errors = []
    try:
        targets = list(Target.objects.select_related("plan"))
        codes = {}
        for plan_id, code in QuarterlyIndicator.objects.values_list("plan_id", "code"):
            codes.setdefault(plan_id, set()).add(code)
    except DatabaseError:  # not migrated yet
        return []
    for target in targets:
        metric = METRICS.get(target.metric)
        if metric is None:
            errors.append(
                checks.Error(
                    f"Target {target.plan.code} {target.code} names the unknown metric "
                    f"{target.metric!r}.",
                    hint=f"Registered metrics: {', '.join(sorted(METRICS))}.",
                    obj=target,
                    id="targets.E001",
                )
            )
            continue
        for problem in metric.check(target.params or {}, codes.get(target.plan_id, set())):
            errors.append(
                checks.Error(
                    f"Target {target.plan.code} {target.code} ({target.metric}): {problem}.",
                    obj=target,
                    id="targets.E002",
                )
            )
    return errors
