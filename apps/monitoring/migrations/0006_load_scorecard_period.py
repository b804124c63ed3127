from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # The assessment period (创建期) was a code constant of twelve months; it is a policy row with its source
    # and effective date now, so a new table with another period is a new row, not a code change.
    load_rows(apps, schema_editor, snapshot(__file__, "0006_scorecard_period"))


def unload(apps, schema_editor):
    pks = [row["pk"] for row in snapshot(__file__, "0006_scorecard_period")]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0005_load_scorecard_2022"),
        ("catalog", "0009_policy_scorecard_period_key"),
    ]
    operations = [migrations.RunPython(load, unload)]
