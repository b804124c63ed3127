from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "apps.lists"
    label = "lists"
    verbose_name = "红黑名单与联合奖惩"

    def ready(self):
        from auditlog.registry import auditlog

        from apps.catalog import lookups, rules
        from apps.records import hooks

        from . import services
        from .models import ListEntry, ListType, Measure, WarningInterview

        for model in (ListType, Measure, WarningInterview):
            auditlog.register(model)
        # The keyed hash of the representative's ID number stays out of the trail, as the subject's does.
        auditlog.register(ListEntry, exclude_fields=["legal_rep_id_hash"])
        # List entries come in through the shared records pipeline (form, upload,
        # API, command): the recogniser rule joins the type's rules (it has an SQL form, so the
        # staged import keeps taking list entries) and the hook keeps the overlay row.
        rules.register(services.LIST_ENTRY_TYPE, services.RecognisedListType)
        hooks.register(services.LIST_ENTRY_TYPE, hooks.TypeHooks(after_write=services.list_entries_sync))
        lookups.register("list_type", services.active_list_type_names)
