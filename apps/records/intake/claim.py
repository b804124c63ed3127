"""One worker at a time per upload (``credit_portal/claims.py``): the claim ``upload_process`` holds for the
whole import.

- ``upload_process`` takes it without waiting: a second delivery, finding it held, leaves the upload to the
  live worker;
- holding it, a 处理中 upload is one whose previous worker is gone: it is started over;
- ``uploads_claimed`` lets the sweeper skip uploads a live worker holds (see ``uploads_sweep``).
"""

from collections.abc import Iterable
from contextlib import AbstractContextManager

from credit_portal.claims import claims_held, session_claim

UPLOAD_LOCK_SPACE = 0x55504C44  # "UPLD"


def upload_claim(upload_id: int) -> AbstractContextManager[bool]:
    """Whether this process now holds ``upload_id`` (released on leaving, or when its session ends)."""
    return session_claim(UPLOAD_LOCK_SPACE, upload_id)


def uploads_claimed(upload_ids: Iterable[int]) -> set[int]:
    """The uploads among ``upload_ids`` a live worker holds right now."""
    return claims_held(UPLOAD_LOCK_SPACE, upload_ids)
