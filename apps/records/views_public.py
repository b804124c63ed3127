"""Public 信用信息公示 pages (anonymous): the list with search and filters, and one record's public fields."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View
from django_filters.views import FilterView

from credit_portal.pagination import BoundedPaginationMixin

from .filtersets import RecordFilterSet
from .models import Record
from .selectors import public_field_specs, public_fields, public_record, public_records

PAGE_SIZE = 20


class PublicRecordListView(BoundedPaginationMixin, FilterView):
    template_name = "records/public_list.html"
    filterset_class = RecordFilterSet
    context_object_name = "records"
    paginate_by = PAGE_SIZE
    # No search is a valid search: the latest publications first.
    strict = False
    public_query = True  # statement timeout (credit_portal/public_queries.py)

    def get_queryset(self):
        return public_records(on=timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        return context


class PublicRecordDetailView(View):
    template_name = "records/public_detail.html"
    public_query = True

    def get(self, request, pk):
        try:
            record = public_record(pk=pk, on=timezone.localdate())
        except Record.DoesNotExist:
            raise Http404("该信息不存在或不在公示期内。") from None
        specs = public_field_specs([record.record_type_id]).get(record.record_type_id, [])
        return render(request, self.template_name, {"record": record, "fields": public_fields(record, specs)})
