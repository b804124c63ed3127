from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The 信易+ catalog every installation starts with.
    load_rows(apps, schema_editor, snapshot(__file__, "0002_scenarios"))


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
