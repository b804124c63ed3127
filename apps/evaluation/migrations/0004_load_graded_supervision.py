from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # Graded supervision as the seeds say (issue 17 item 5): a new policy version, so the 2024 policy
    # and the tasks drawn under it stay as they were.
    load_rows(apps, schema_editor, snapshot(__file__, "0004_graded_supervision"))


def unload(apps, schema_editor):
    policy = apps.get_model("evaluation", "SupervisionPolicy")
    task = apps.get_model("evaluation", "InspectionTask")
    interview = apps.get_model("evaluation", "SupervisionInterview")
    # Only when nothing was drawn or opened under it: history is never deleted by a rollback.
    if not task.objects.filter(policy_id=2).exists() and not interview.objects.filter(policy_id=2).exists():
        policy.objects.filter(pk=2).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_graded_supervision")]
    operations = [migrations.RunPython(load, unload)]
