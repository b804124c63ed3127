from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # Targets shown next to the coverage and 信易贷 figures are policy rows, not constants.
    load_fixtures(apps, schema_editor, ["target_policies"])


def unload(apps, schema_editor):
    import json

    from apps.catalog.fixture_loading import FIXTURES

    pks = [row["pk"] for row in json.loads((FIXTURES / "target_policies.json").read_text(encoding="utf-8"))]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [("commitments", "0002_load_commitments"), ("catalog", "0007_policy_target_keys")]
    operations = [migrations.RunPython(load, unload)]
