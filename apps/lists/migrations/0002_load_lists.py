from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # List types, matters and the measures list are policy data every installation starts with.
    load_rows(apps, schema_editor, snapshot(__file__, "0002_list_types") + snapshot(__file__, "0002_measures"))


class Migration(migrations.Migration):
    dependencies = [("lists", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
