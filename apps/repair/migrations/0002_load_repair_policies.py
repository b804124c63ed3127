from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # Repair and objection rules are policy rows (versioned, staff-editable), loaded once.
    load_rows(apps, schema_editor, snapshot(__file__, "0002_repair_policies"))


def unload(apps, schema_editor):
    pks = [row["pk"] for row in snapshot(__file__, "0002_repair_policies")]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [("repair", "0001_initial"), ("catalog", "0006_policy_repair_keys")]
    operations = [migrations.RunPython(load, unload)]
