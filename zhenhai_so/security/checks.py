"""System check: no default accounts (GB/T 22239-2019 8.1.4.2 c; SECURITY.md item 7).

Run with the database: ``manage.py check --deploy --database default``. A default account is an
active account with a well-known name (admin, root, test, …) or a demo login (``load_demo``)
still holding the demo password: the first thing an attacker tries.
"""

from django.core.checks import Error, Tags, register

WELL_KNOWN_NAMES = frozenset(
    {"admin", "administrator", "root", "test", "guest", "demo", "sa", "system", "superuser", "user"}
)


def default_accounts() -> list[str]:
    """The user names of active default accounts, sorted."""
    from django.db.models.functions import Lower

    from zhenhai_so.demo import ACCOUNTS, DEMO_PASSWORD, TOWNSHIP_LOGINS
    from zhenhai_so.models import User

    demo = {name for name, _full, _role in ACCOUNTS} | set(TOWNSHIP_LOGINS.values())
    found = []
    candidates = User.objects.annotate(name=Lower("username")).filter(
        is_active=True, name__in=WELL_KNOWN_NAMES | demo
    )
    for user in candidates.order_by("username"):
        if user.name in WELL_KNOWN_NAMES or user.check_password(DEMO_PASSWORD):
            found.append(user.username)
    return found


@register(Tags.security, Tags.database, deploy=True)
def check_default_accounts(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []  # needs the database: `check --deploy --database default`
    names = default_accounts()
    if not names:
        return []
    return [
        Error(
            f"Active default accounts: {', '.join(names)}.",
            hint="Deactivate them or rename them and set a new password (the demo password is "
            "public). Demo accounts belong on a demonstration machine only.",
            id="zhenhai_so.E_DEFAULT_ACCOUNTS",
        )
    ]
