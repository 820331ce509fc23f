import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Version and change time on the records the Excel imports update in bulk
    (zhenhai_so.importing.write_plan bumps and sets them)."""

    dependencies = [
        ("partybuilding", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="partyorganisation",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="partyorganisation",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="training",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="training",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
