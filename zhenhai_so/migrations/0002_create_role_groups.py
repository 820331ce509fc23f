from django.db import migrations

ROLES = [
    "bureau_staff",
    "township_office",
    "leader",
    "system_admin",
    "security_admin",
    "audit_admin",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    """One auth group per role; their permissions are synced after every migrate (roles.py)."""

    dependencies = [("zhenhai_so", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, delete_groups)]
