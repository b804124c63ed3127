"""The seed-001 scoring table as the whole 100 points, in force from the date the plan was issued.

Adds new versions (effective 2022-03-15, 邹政办字〔2022〕7号) of every line instead of editing the rows
0003 loaded, which keep explaining earlier self-assessments: the missing lines (机构失信被执行情况,
风险防范, 地方信用建设创新做法, 扣分事项), the corrected measures, and the source of each line.
Also adds the supervision fields of the departments the table names for 分级分类监管, so that its
20 fields (4 points) can be reached; a field whose code staff already created is left alone.
"""

from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    load_rows(apps, schema_editor, snapshot(__file__, "0005_scorecard_2022"))
    SupervisionField = apps.get_model("evaluation", "SupervisionField")
    existing = set(SupervisionField.objects.values_list("code", flat=True))
    rows = [row for row in snapshot(__file__, "0005_supervision_fields") if row["fields"]["code"] not in existing]
    load_rows(apps, schema_editor, rows)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0004_scorecard_entries"),
        ("evaluation", "0002_load_evaluation"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
