from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The breach record type (a catalog entry) and the starting templates for the seven types.
    load_rows(apps, schema_editor, snapshot(__file__, "0002_commitments"))


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial"), ("catalog", "0004_list_entry_lookup")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
