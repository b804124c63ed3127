from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # Targets shown next to the coverage and 信易贷 figures are policy rows, not constants.
    load_rows(apps, schema_editor, snapshot(__file__, "0003_target_policies"))


def unload(apps, schema_editor):
    pks = [row["pk"] for row in snapshot(__file__, "0003_target_policies")]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [("commitments", "0002_load_commitments"), ("catalog", "0007_policy_target_keys")]
    operations = [migrations.RunPython(load, unload)]
