from django.views.generic import ListView

from apps.accounts.permissions import StaffRequiredMixin

from .models import Record


class RecordListView(StaffRequiredMixin, ListView):
    template_name = "records/list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = Record.objects.select_related("record_type", "department")
        user = self.request.user
        return qs if user.is_center else qs.filter(department=user.department)
