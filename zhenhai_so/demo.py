"""Demo accounts, one per role and one per township office (for ``load_demo`` only: a real
installation has no default accounts, SECURITY.md item 7)."""

from .models import User
from .roles import Role
from .services import user_create

DEMO_PASSWORD = "Zhenhai#Demo2018"

# Login names of the township offices, by division code (pinyin of the township's name).
TOWNSHIP_LOGINS = {
    "330211001000": "zhaobaoshan",
    "330211002000": "jiaochuan",
    "330211003000": "luotuo",
    "330211004000": "zhuangshi",
    "330211005000": "guisi",
    "330211100000": "xiepu",
    "330211101000": "jiulonghu",
}

ACCOUNTS = [
    ("staff", "王科员", Role.BUREAU_STAFF),
    ("leader", "李局长", Role.LEADER),
    ("sysadmin", "赵管理员", Role.SYSTEM_ADMIN),
    ("secadmin", "钱安全员", Role.SECURITY_ADMIN),
    ("auditor", "孙审计员", Role.AUDIT_ADMIN),
]


def load(ctx) -> list[str]:
    from registry.models import Township  # noqa: PLC0415 - demo data only

    def make(username, full_name, role, township=None):
        if User.objects.filter(username__iexact=username).exists():
            return
        user_create(
            username=username,
            full_name=full_name,
            role=role,
            township=township,
            password=DEMO_PASSWORD,
            must_change_password=False,
        )

    for username, full_name, role in ACCOUNTS:
        make(username, full_name, role)
    for township in Township.objects.all():
        login = TOWNSHIP_LOGINS.get(township.code)
        if login:
            make(login, f"{township.name}社会组织服务中心", Role.TOWNSHIP_OFFICE, township)
    return [f"accounts: {User.objects.count()} users"]


def login_lines() -> list[str]:
    """The demo logins as printed by ``make run``."""
    lines = [f"  {username:<12} {role.label}" for username, _name, role in ACCOUNTS]
    lines += [
        f"  {login:<12} {Role.TOWNSHIP_OFFICE.label} ({code})"
        for code, login in TOWNSHIP_LOGINS.items()
    ]
    return lines
