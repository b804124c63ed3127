from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # List types, matters and the measures list are policy data every installation starts with.
    load_fixtures(apps, schema_editor, ["list_types", "measures"])


class Migration(migrations.Migration):
    dependencies = [("lists", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
