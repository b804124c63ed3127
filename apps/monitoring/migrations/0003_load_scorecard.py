from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The scoring table of seed 001 is policy data every installation starts with; staff revise it by new versions.
    load_rows(apps, schema_editor, snapshot(__file__, "0003_scorecard"))


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_indicators"), ("catalog", "0004_list_entry_lookup")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
