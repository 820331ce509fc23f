from django.db import migrations, models


def number_existing_projects(apps, schema_editor):
    """Give every project the number new ones get: ZH-<year>-<id, five digits>."""
    Project = apps.get_model("procurement", "Project")
    projects = list(Project.objects.filter(code="").only("id", "year"))
    for project in projects:
        project.code = f"ZH-{project.year}-{project.pk:05d}"
    Project.objects.bulk_update(projects, ["code"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0001_initial"),
        ("registry", "0002_user_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="code",
            field=models.CharField(
                blank=True,
                help_text="Given when the project is declared, e.g. ZH-2019-00042.",
                max_length=30,
                verbose_name="project number",
            ),
        ),
        migrations.RunPython(number_existing_projects, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(
                condition=models.Q(("code", ""), _negated=True),
                fields=("code",),
                name="project_code_unique",
            ),
        ),
    ]
