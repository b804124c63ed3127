"""The seed-001 scoring table as the whole 100 points, in force from the date the plan was issued.

Adds new versions (effective 2022-03-15, 邹政办字〔2022〕7号) of every line instead of editing the rows
0003 loaded, which keep explaining earlier self-assessments: the missing lines (机构失信被执行情况,
风险防范, 地方信用建设创新做法, 扣分事项), the corrected measures, and the source of each line.
Also adds the supervision fields of the departments the table names for 分级分类监管, so that its
20 fields (4 points) can be reached; they are added by code, leaving any field staff created alone.
"""

import json

from django.db import migrations

from apps.catalog.fixture_loading import FIXTURES, load_fixtures


def load(apps, schema_editor):
    load_fixtures(apps, schema_editor, ["scorecard_2022"])
    SupervisionField = apps.get_model("evaluation", "SupervisionField")
    for row in json.loads((FIXTURES / "supervision_fields_2022.json").read_text(encoding="utf-8")):
        SupervisionField.objects.get_or_create(code=row["fields"]["code"], defaults=row["fields"])


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0004_scorecard_entries"),
        ("evaluation", "0002_load_evaluation"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
