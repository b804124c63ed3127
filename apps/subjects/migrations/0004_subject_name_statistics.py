"""Statistics on the upper-cased subject name, for the 信用承诺公示 search by organisation name.

That search filters ``UPPER(name) LIKE UPPER('%…%')`` across the commitment's subject; without
statistics on the expression PostgreSQL guesses a few hundred matches even for 有限 (600,000 of a
million names) and reads every matching subject's commitments, then sorts (4 s), instead of reading the
newest commitments down their date index until a page is full (1 ms). See records 0005.
PostgreSQL only; nothing on SQLite.
"""

from django.db import migrations

NAME = "subject_name_upper_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {NAME} ON (upper(name::text)) FROM subjects_subject")
    schema_editor.execute("ANALYZE subjects_subject")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("subjects", "0003_partial_code_indexes")]

    operations = [migrations.RunPython(create, drop)]
