from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The first scoring model, the graded-supervision policy and the supervision fields.
    load_rows(apps, schema_editor, snapshot(__file__, "0002_evaluation"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
