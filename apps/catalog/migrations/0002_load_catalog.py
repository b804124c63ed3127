import json
from pathlib import Path

from django.core.management.color import no_style
from django.db import migrations

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def load(apps, schema_editor):
    """Start every installation with the powers, the catalog and its policies.

    Uses the historical models (not loaddata) so this migration keeps working
    when the models change later. Rows that exist already (same pk) are left as
    staff edited them.
    """
    touched = set()
    for name in ("powers", "catalog", "policies"):
        for row in json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")):
            model = apps.get_model(row["model"])
            fields = {}
            for key, value in row["fields"].items():
                field = model._meta.get_field(key)
                fields[field.attname if field.is_relation else key] = value
            model.objects.get_or_create(pk=row["pk"], defaults=fields)
            touched.add(model)
    # Rows came with explicit ids: move PostgreSQL's id sequences past them, or the
    # next row staff add in the admin would collide with id 1.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(touched)):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
