"""Links to records lose their database constraint before records_record becomes partitioned (0015)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0013_lean_record_constraints_and_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recordevent",
            name="record",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="records.record",
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="record",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="submissions",
                to="records.record",
            ),
        ),
    ]
