"""Statistics on the upper-cased name and document number, for the public filters' substring searches.

The public lists filter with ``UPPER(col) LIKE UPPER('%…%')`` (Django's icontains). Without statistics
on that expression PostgreSQL guesses a handful of matches even for a fragment like 有限 that matches
most names, and plans a parallel scan and sort of every public record (20 s at 10,000,000 records)
instead of reading the newest records down the public-order index until a page is full (1 ms).
PostgreSQL only (expression statistics, PostgreSQL 14+); nothing on SQLite.
"""

from django.db import migrations

STATISTICS = {
    "record_subject_name_upper_stats": "upper(subject_name::text)",
    "record_decision_number_upper_stats": "upper(decision_number::text)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in STATISTICS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} ON ({expression}) FROM records_record")
    # A sample of the table (seconds even at ten million rows), so the planner uses them at once.
    schema_editor.execute("ANALYZE records_record")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0006_record_record_public_order_idx")]

    operations = [migrations.RunPython(create, drop)]
