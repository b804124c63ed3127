"""Per-type extensions of the shared intake pipeline.

Most record types need nothing beyond their catalog rules. A few keep an
overlay row beside the record (the list entry's state). The app that owns such
a type registers its hooks in ``AppConfig.ready``; the pipeline stays one
pipeline for form, upload, API and command. A rule that depends on other data
(a list entry: may this department recognise this list?) is not a hook but a
rule object (``apps.catalog.rules.register``), so both intake paths see it.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TypeHooks:
    # after_write(records=[Record, ...]) inside the batch's transaction, for created and changed records.
    after_write: Callable | None = None


_NONE = TypeHooks()
_REGISTRY: dict[str, TypeHooks] = {}


def register(type_code: str, hooks: TypeHooks) -> None:
    _REGISTRY[type_code] = hooks


def hooks_for(type_code: str) -> TypeHooks:
    return _REGISTRY.get(type_code, _NONE)
