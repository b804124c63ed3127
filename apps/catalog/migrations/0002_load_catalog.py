from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # The catalog and its policies are data every installation starts with;
    # staff change them afterwards in the admin (audit-logged).
    load_fixtures(apps, schema_editor, ["powers", "catalog", "policies"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
