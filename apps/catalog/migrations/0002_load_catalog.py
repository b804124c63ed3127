from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The catalog and its policies are data every installation starts with;
    # staff change them afterwards in the admin (audit-logged).
    load_rows(apps, schema_editor, [row for name in ("powers", "catalog", "policies") for row in snapshot(__file__, f"0002_{name}")])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
