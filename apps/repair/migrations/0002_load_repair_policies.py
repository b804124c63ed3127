from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # Repair and objection rules are policy rows (versioned, staff-editable), loaded once.
    load_fixtures(apps, schema_editor, ["repair_policies"])


def unload(apps, schema_editor):
    import json

    from apps.catalog.fixture_loading import FIXTURES

    pks = [row["pk"] for row in json.loads((FIXTURES / "repair_policies.json").read_text(encoding="utf-8"))]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [("repair", "0001_initial"), ("catalog", "0006_policy_repair_keys")]
    operations = [migrations.RunPython(load, unload)]
