"""The public name search's side table of subject-name bigrams (portal migration 0003): its refresh.

An insert into ``subjects_subject`` only queues the new ids (a trigger); this moves the queue into
``portal_subject_name`` (one partition per side, portal 0004), whose GIN indexes serve the search, in
one set-based statement. It runs after an upload's import has committed
(``apps.records.tasks.import_upload``) and every minute from beat, never inside an import's own
transactions: the import no longer pays a GIN update per subject.
The search finds a queued subject meanwhile (``apps.portal.search.queued_candidates``).
"""

from django.db import connection


def name_index_refresh() -> int:
    """Index the queued subjects' names; how many (0 where there is no such index: not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_subject_name_refresh()")
        return cursor.fetchone()[0]
