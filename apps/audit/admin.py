from django.contrib import admin

from credit_portal.admin_mixins import ReadOnlyAdminMixin

from .models import PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log is append-only and written only by the reveal service."""

    list_display = ("accessed_at", "user", "subject", "field", "reason", "remote_addr")
    list_filter = ("field",)
    search_fields = ("user__username", "user__full_name", "subject__name", "reason")
    date_hierarchy = "accessed_at"
    list_select_related = ("user", "subject")
    readonly_fields = ("user", "subject", "field", "reason", "remote_addr", "accessed_at")


# auditlog's own admin already refuses add and change, but lets a cascade
# delete (e.g. of a content type) take entries with it. The trail is
# append-only: no delete from the back office, ever.
from auditlog import get_logentry_model  # noqa: E402
from auditlog.admin import LogEntryAdmin as _AuditlogLogEntryAdmin  # noqa: E402

from .models import AuditChainLink  # noqa: E402

_LogEntry = get_logentry_model()
if admin.site.is_registered(_LogEntry):
    admin.site.unregister(_LogEntry)


@admin.register(_LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, _AuditlogLogEntryAdmin):
    def get_actions(self, request):
        return {}


@admin.register(AuditChainLink)
class AuditChainLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("seq", "entry_id", "hash", "created_at")
    readonly_fields = ("seq", "entry_id", "prev_hash", "hash", "created_at")
