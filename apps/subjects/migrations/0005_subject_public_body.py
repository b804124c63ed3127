"""机关/事业单位 flag on subjects (seed 001: 机构失信被执行情况), filled for existing subjects from their USCC."""

from django.db import migrations, models

# GB 32100 registering authority + kind: 11 机关, 12 事业单位 (kept here: a migration must not import app code).
PREFIXES = {"11": "organ", "12": "institution"}


def backfill(apps, schema_editor):
    Subject = apps.get_model("subjects", "Subject")
    for prefix, value in PREFIXES.items():
        Subject.objects.filter(kind="legal", public_body="", uscc__startswith=prefix).update(public_body=value)


class Migration(migrations.Migration):
    dependencies = [("subjects", "0004_subject_name_statistics")]

    operations = [
        migrations.AddField(
            model_name="subject",
            name="public_body",
            field=models.CharField(
                blank=True,
                choices=[("organ", "机关"), ("institution", "事业单位")],
                help_text="政府机关或事业单位（考核“机构失信被执行情况”）；统一社会信用代码以 11、12 开头的自动视为机关、事业单位",
                max_length=12,
                verbose_name="机关/事业单位",
                default="",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
