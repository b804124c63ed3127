"""Per-process copies of the policy data every public page reads, dropped as soon as staff edit it.

Catalog field specs (which fields are public, their labels), the departments that
record penalties, the scoring models' grade labels: a handful of rows, edited by
the credit center a few times a year, read by every profile page and report. Each
profile used to read them again (one query, and the ORM's compilation of it, per
kind). Here each is loaded once per process and kept until:

* a save or delete of one of its models (``post_save``/``post_delete``/``m2m_changed``):
  this process drops its copy at once, and after the commit a new random version goes to
  the shared cache (Redis in production), which every other process compares with its
  own at most every ``POLICY_CACHE_RECHECK_SECONDS`` (one ``GET`` per process per
  interval, not per request) — so an edit shows on every worker within that interval;
* ``POLICY_CACHE_SECONDS`` have passed: a backstop for writes that send no signal
  (``QuerySet.update()``, SQL by hand, a data migration) and for a cache that was down.

What is public is never decided from these copies: the records and list entries
themselves are filtered in SQL at request time; the copies only say how to show them.
"""

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

SHARED_VERSION_KEY = "policy-cache:version"


@dataclass
class _Entry:
    value: Any
    loaded_at: float


class PolicyCache:
    def __init__(self):
        self._loaders: dict[str, Callable[[], Any]] = {}
        self._entries: dict[str, _Entry] = {}
        self._version = None
        self._checked_at = float("-inf")
        self._lock = (
            threading.RLock()
        )  # gthread workers: one load at a time; re-entrant, as one loader may read another

    def register(self, name: str, loader: Callable[[], Any], *, models: tuple[str, ...]) -> Callable[[], Any]:
        """Make ``loader`` cached under ``name``, dropped on any write to ``models`` ("app_label.Model")."""
        self._loaders[name] = loader
        for model in models:
            post_save.connect(self._changed, sender=model, dispatch_uid=f"policy-cache:{name}:{model}:save")
            post_delete.connect(self._changed, sender=model, dispatch_uid=f"policy-cache:{name}:{model}:delete")
        return lambda: self.get(name)

    def watch_m2m(self, through: Any, *, name: str) -> None:
        m2m_changed.connect(self._changed, sender=through, dispatch_uid=f"policy-cache:{name}:m2m")

    def get(self, name: str):
        now = time.monotonic()
        if now - self._checked_at >= settings.POLICY_CACHE_RECHECK_SECONDS:
            version = cache.get(SHARED_VERSION_KEY)
            with self._lock:
                if version != self._version:
                    self._entries.clear()
                    self._version = version
                self._checked_at = now
        entry = self._entries.get(name)
        if entry is None or now - entry.loaded_at >= settings.POLICY_CACHE_SECONDS:
            with self._lock:
                entry = _Entry(self._loaders[name](), now)
                self._entries[name] = entry
        return entry.value

    def clear(self) -> None:
        """Drop this process's copies (tests call it between tests: their rollbacks send no signals)."""
        with self._lock:
            self._entries.clear()
            self._checked_at = float("-inf")

    def _changed(self, sender=None, **kwargs):
        self.clear()
        # Other processes learn of it after the commit: before, they would reload the old rows.
        transaction.on_commit(self._publish)

    def _publish(self):
        self.clear()
        cache.set(SHARED_VERSION_KEY, uuid.uuid4().hex, timeout=None)


policy_cache = PolicyCache()
