"""List entries: rules and overlay rows for ``list_entry`` records, removal, expiry, warning interviews."""

import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.catalog.choices import Role
from apps.catalog.rules import INTAKE, Rule
from apps.catalog.spec import TypeSpec
from apps.records.choices import Action
from apps.records.models import Record, RecordEvent
from apps.subjects.pii import decrypt, id_number_hash

from .choices import EntryState
from .models import ListEntry, ListType, Measure, WarningInterview

LIST_ENTRY_TYPE = "list_entry"


def active_list_type_names() -> list[str]:
    return list(ListType.objects.filter(is_active=True).values_list("name", flat=True))


class RecognisedListType(Rule):
    """Only a department named as recogniser of a list type may put subjects on it."""

    stage = INTAKE
    only_if_clean = True  # one look-up per row: only for a row otherwise fit to store

    @classmethod
    def applies(cls, spec):
        return Role.LIST_TYPE in spec.by_role

    def check(self, row, ctx):
        f = self.role(Role.LIST_TYPE)
        list_type = (
            ListType.objects.filter(name=row.values.get(f.code), is_active=True).prefetch_related("recognisers").first()
        )
        if list_type is None:
            return None  # the enumeration check already reported an unknown name
        if ctx.department not in list_type.recognisers.all():
            who = f"（认定部门：{list_type.recogniser_note}）" if list_type.recogniser_note else ""
            return self.problem(f, f"{ctx.department.name}无权认定“{list_type.name}”{who}")
        return None

    def sql(self, plan, ctx):
        names = list(ListType.objects.filter(is_active=True, recognisers=ctx.department).values_list("name", flat=True))
        return f"coalesce({plan.column(self.role(Role.LIST_TYPE))} = ANY(%s::text[]), false)", [names]


def entry_valid_until(*, list_type: ListType, recognised_on: datetime.date, valid_to: datetime.date | None):
    """The last day an entry counts: as recognised, else by its list type's validity; None = until removed."""
    if valid_to is not None:
        return valid_to
    if list_type.validity_months:
        return recognised_on + relativedelta(months=list_type.validity_months)
    return None


def legal_rep_id_hash(record, rep_id_code: str | None) -> str:
    """The lookup hash of the legal representative's ID number, from the record's encrypted copy ('' if none).

    ``data`` holds only the masked number; the full one is in ``private_data`` (apps.records.services).
    """
    token = (record.private_data or {}).get(rep_id_code) if rep_id_code else None
    return id_number_hash(decrypt(token).upper()) if token else ""


def list_entries_sync(*, records) -> None:
    """Create or refresh the overlay row of each written list-entry record (one query per batch to read).

    An entry lasts as its list type says: the 有效期至 given at recognition, else ``ListType.validity_months``
    from the recognition date, else until removed (移出). The record's publicity window is set to the same
    end (open when the entry has none), so the generic publicity policy (``publicity_months``, 36 months for
    non-penalty types) never withdraws an entry that is still on its list (issue 14).
    """

    if not records:
        return
    spec = TypeSpec.load(records[0].record_type)
    type_code, rep_code = spec.field_code(Role.LIST_TYPE), spec.field_code(Role.LEGAL_REP)
    rep_id_code = spec.field_code(Role.LEGAL_REP_ID)
    types = {t.name: t for t in ListType.objects.all()}
    existing = {e.record_id: e for e in ListEntry.objects.filter(record__in=records)}
    new, changed, windows = [], [], []
    for record in records:
        list_type = types[record.data[type_code]]
        valid_until = entry_valid_until(
            list_type=list_type, recognised_on=record.decision_date, valid_to=record.valid_to
        )
        entry = existing.get(record.pk)
        end = valid_until
        if entry is not None and entry.state == EntryState.REMOVED and entry.removed_on is not None:
            # A corrected record of a removed entry keeps the publicity the removal ended.
            end = min(entry.removed_on, valid_until or entry.removed_on)
        if record.is_publicised and record.publicity_end != end:
            record.publicity_end = end
            windows.append(record)
        fields = {
            "list_type": list_type,
            "subject": record.subject,
            "department": record.department,
            "recognised_on": record.decision_date,
            "valid_until": valid_until,
            "legal_representative": record.data.get(rep_code, "") if rep_code else "",
            "legal_rep_id_hash": legal_rep_id_hash(record, rep_id_code),
        }
        if entry is None:
            new.append(ListEntry(record=record, **fields))
        else:
            for name, value in fields.items():
                setattr(entry, name, value)
            changed.append(entry)
    if windows:
        Record.objects.bulk_update(windows, ["publicity_end"])
    ListEntry.objects.bulk_create(new)
    if changed:
        ListEntry.objects.bulk_update(
            changed,
            [
                "list_type",
                "subject",
                "department",
                "recognised_on",
                "valid_until",
                "legal_representative",
                "legal_rep_id_hash",
            ],
        )


@transaction.atomic
def list_entry_remove(*, entry: ListEntry, actor, reason: str, on: datetime.date | None = None) -> ListEntry:
    """移出: measures stop at once because every check reads ``ListEntry.objects.active``."""
    if not reason.strip():
        raise ValidationError("移出名单必须填写原因。")
    entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.state == EntryState.REMOVED:
        raise ValidationError("该条目已移出名单。")
    entry.state, entry.removed_on, entry.removal_reason = EntryState.REMOVED, on or timezone.localdate(), reason
    entry.save()
    # The record's publicity follows the entry: it ends with the removal (the nightly job then withdraws it).
    Record.objects.filter(pk=entry.record_id, is_publicised=True).filter(
        Q(publicity_end__isnull=True) | Q(publicity_end__gt=entry.removed_on)
    ).update(publicity_end=entry.removed_on, updated_at=timezone.now())
    RecordEvent.objects.create(
        record_id=entry.record_id,
        action=Action.REMOVE,
        actor=getattr(actor, "pk", None) and actor,
        actor_label=str(actor),
        reason=f"移出名单：{reason}",
        before={"state": EntryState.LISTED},
        after={"state": EntryState.REMOVED},
    )
    return entry


def list_entries_expire(*, today: datetime.date) -> int:
    """Entries past their validity leave the list (set-based; idempotent)."""
    ids = list(ListEntry.objects.filter(state=EntryState.LISTED, valid_until__lt=today).values_list("pk", "record_id"))
    if not ids:
        return 0
    with transaction.atomic():
        ListEntry.objects.filter(pk__in=[pk for pk, _ in ids]).update(
            state=EntryState.REMOVED, removed_on=today, removal_reason="有效期届满自动移出"
        )
        RecordEvent.objects.bulk_create(
            RecordEvent(
                record_id=record_id,
                action=Action.REMOVE,
                actor_label="系统",
                reason="有效期届满自动移出",
                before={"state": EntryState.LISTED},
                after={"state": EntryState.REMOVED},
            )
            for _, record_id in ids
        )
    return len(ids)


def warning_interview_record(*, entry: ListEntry, user, held_on, participants, content) -> WarningInterview:
    if entry.list_type.color == "red":
        raise ValidationError("约谈只适用于严重失信主体名单和重点关注名单。")
    if not user.is_center and user.department_id != entry.department_id:
        raise ValidationError("只有认定部门可以录入约谈记录。")
    return WarningInterview.objects.create(
        entry=entry,
        held_on=held_on,
        department=entry.department,
        participants=participants,
        content=content,
        created_by=user,
    )


class StaleRevision(Exception):
    """Someone else revised the measure first."""


def measure_revise(*, current: Measure, fields: dict, list_types, matters, effective_from) -> Measure:
    """A revision never overwrites: a new row (version + 1) takes effect on ``effective_from``
    and the version it replaces ends the day before, so past checks stay explainable."""
    with transaction.atomic():
        latest = Measure.objects.select_for_update().filter(code=current.code).order_by("-version").first()
        if latest.pk != current.pk:
            raise StaleRevision("该措施已被他人修订，请刷新后重试。")
        new = Measure(
            code=latest.code, version=latest.version + 1, is_active=True, effective_from=effective_from, **fields
        )
        try:
            with transaction.atomic():
                new.save()
        except IntegrityError as exc:
            raise StaleRevision("该措施已被他人修订，请刷新后重试。") from exc
        new.list_types.set(list_types)
        new.matters.set(matters)
        end = effective_from - datetime.timedelta(days=1)
        if latest.effective_to is None or latest.effective_to > end:
            Measure.objects.filter(pk=latest.pk).update(effective_to=end)
    return new
