from django.views.generic import ListView, TemplateView

from apps.accounts.permissions import CenterRequiredMixin, StaffRequiredMixin

from .models import Subject


class SubjectListView(StaffRequiredMixin, ListView):
    template_name = "subjects/list.html"
    paginate_by = 50
    queryset = Subject.objects.all()


class CodeQualityView(CenterRequiredMixin, TemplateView):
    template_name = "subjects/code_quality.html"
