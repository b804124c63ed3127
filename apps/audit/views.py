from auditlog.models import LogEntry
from django.views.generic import ListView

from apps.accounts.permissions import CenterRequiredMixin

from .models import PersonalDataAccess
from .selectors import action_label, entry_changes


class AuditLogView(CenterRequiredMixin, ListView):
    """Who changed what, when, with before/after — read-only for the credit center."""

    template_name = "audit/log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
        model = self.request.GET.get("model")
        if model:
            qs = qs.filter(content_type__model=model)
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {"entry": e, "action": action_label(e), "changes": entry_changes(e)} for e in context["entries"]
        ]
        return context


class PersonalDataAccessView(CenterRequiredMixin, ListView):
    """Every staff view of an unmasked ID number: who, whose, why, when, from where."""

    template_name = "audit/personal_data.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):

        return PersonalDataAccess.objects.select_related("user", "subject")
