from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # The breach record type (a catalog entry) and the starting templates for the seven types.
    load_fixtures(apps, schema_editor, ["commitments"])


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial"), ("catalog", "0004_list_entry_lookup")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
