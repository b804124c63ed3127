import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def fill_choices_from(apps, schema_editor):
    """0002 loaded the catalog before ``choices_from`` existed: set it where the fixture has one."""
    FieldSpec = apps.get_model("catalog", "FieldSpec")
    for row in json.loads((FIXTURES / "catalog.json").read_text(encoding="utf-8")):
        source = row["fields"].get("choices_from")
        if row["model"] == "catalog.fieldspec" and source:
            FieldSpec.objects.filter(pk=row["pk"], choices_from="").update(choices_from=source)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_fieldspec_choices_from")]
    operations = [migrations.RunPython(fill_choices_from, migrations.RunPython.noop)]
