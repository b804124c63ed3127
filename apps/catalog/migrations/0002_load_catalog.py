import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def load(apps, schema_editor):
    """Start every installation with the powers, the catalog and its policies.

    Uses the historical models (not loaddata) so this migration keeps working
    when the models change later. Rows that exist already (same pk) are left as
    staff edited them.
    """
    for name in ("powers", "catalog", "policies"):
        for row in json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")):
            model = apps.get_model(row["model"])
            fields = {}
            for key, value in row["fields"].items():
                field = model._meta.get_field(key)
                fields[field.attname if field.is_relation else key] = value
            model.objects.get_or_create(pk=row["pk"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
