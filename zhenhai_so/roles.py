"""Roles of the portal and the permissions each one holds.

A role is an auth group (created by migration ``0002_create_role_groups``); a user holds exactly one
role, which keeps the three administrator roles apart (等保 2.0 三权分立, SECURITY.md item 8).
Which permissions a group holds is declared here and synced after every migrate, so an app that
adds a model only has to add its permission names below.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    TOWNSHIP_OFFICE = "township_office", _("Township office")
    LEADER = "leader", _("Leader")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Permission patterns per role: "app_label.codename", with "*" as a wildcard in the codename.
# Apps named here that do not exist yet are ignored until they do.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.BUREAU_STAFF: [
        "registry.*",
        "evaluation.*",
        "procurement.*",
        "partybuilding.*",
        "targets.view_*",
        "targets.review_quarterlyreport",
        "targets.add_milestone",
        "targets.change_milestone",
        "targets.export_targets",
        "zhenhai_so.view_reference",
    ],
    Role.TOWNSHIP_OFFICE: [
        "registry.view_*",
        "registry.add_organisation",
        "registry.change_organisation",
        "registry.export_organisation",
        "evaluation.view_*",
        "procurement.view_*",
        "partybuilding.view_*",
        "targets.view_*",
        "targets.add_quarterlyreport",
        "targets.change_quarterlyreport",
        "targets.submit_quarterlyreport",
        "zhenhai_so.view_reference",
    ],
    Role.LEADER: [
        "registry.view_*",
        "registry.export_*",
        "evaluation.view_*",
        "evaluation.export_*",
        "procurement.view_*",
        "procurement.export_*",
        "partybuilding.view_*",
        "partybuilding.export_*",
        "targets.view_*",
        "targets.export_*",
        "zhenhai_so.view_reference",
    ],
    Role.SYSTEM_ADMIN: [
        "zhenhai_so.manage_users",
        "zhenhai_so.view_schedule",
        "zhenhai_so.view_reference",
        "evaluation.add_indicatorsystem",
        "evaluation.change_indicatorsystem",
        "evaluation.view_indicatorsystem",
        "targets.add_plan",
        "targets.change_plan",
        "targets.view_plan",
        "targets.add_target",
        "targets.change_target",
        "targets.view_target",
    ],
    Role.SECURITY_ADMIN: ["zhenhai_so.manage_security", "zhenhai_so.manage_users"],
    Role.AUDIT_ADMIN: ["zhenhai_so.view_auditlog", "zhenhai_so.export_auditlog"],
}


def sync_role_groups(**kwargs):
    """Create the role groups and give each exactly the permissions ROLE_PERMISSIONS names.

    Connected to ``post_migrate``: permissions of a new app exist only after its migration, so
    the sync has to run after every migrate, not once in a data migration. It is idempotent.
    """
    from fnmatch import fnmatchcase

    from django.contrib.auth.models import Group, Permission

    perms = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            name = f"{perm.content_type.app_label}.{perm.codename}"
            if any(fnmatchcase(name, pattern) for pattern in patterns):
                wanted.append(perm)
        group.permissions.set(wanted)
