"""Store whether each organisation's credit code is valid (target R4 counts it in SQL; the GB 32100
and GB 11714 check characters cannot be computed there)."""

from django.db import migrations, models

BATCH = 2000


def fill_flags(apps, schema_editor):
    from registry.models import credit_code_is_valid

    Organisation = apps.get_model("registry", "Organisation")
    rows = Organisation.objects.exclude(credit_code="").values_list("pk", "credit_code", "org_type")
    valid = [pk for pk, code, org_type in rows.iterator() if credit_code_is_valid(code, org_type)]
    for start in range(0, len(valid), BATCH):
        Organisation.objects.filter(pk__in=valid[start : start + BATCH]).update(
            credit_code_valid=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_user_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="credit_code_valid",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="credit code valid"
            ),
        ),
        migrations.RunPython(fill_flags, migrations.RunPython.noop),
    ]
