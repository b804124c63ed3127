"""Public red, black and watch list pages (anonymous): entries in force today on public list types, masked."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View
from django_filters.views import FilterView

from credit_portal.pagination import BoundedPaginationMixin

from .choices import ListColor
from .filtersets import PublicEntryFilterSet
from .models import ListEntry
from .selectors import public_entries, public_entry, public_view

PAGE_SIZE = 20


class PublicEntryListView(BoundedPaginationMixin, FilterView):
    template_name = "lists/public_list.html"
    filterset_class = PublicEntryFilterSet
    context_object_name = "entries"
    paginate_by = PAGE_SIZE
    # No search is a valid search: the latest recognitions first.
    strict = False
    public_query = True  # statement timeout (credit_portal/public_queries.py)

    def get_queryset(self):
        return public_entries(on=timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Only the masked public view of each entry reaches the template.
        context["rows"] = [public_view(entry) for entry in context["entries"]]
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        color = self.request.GET.get("color", "")
        context["current_color"] = color if color in ListColor.values else ""
        others = self.request.GET.copy()
        for key in ("page", "color", "type"):
            others.pop(key, None)
        context["tabs"] = [("", "全部名单", others.urlencode())] + [
            (value, label, _with(others, color=value)) for value, label in ListColor.choices
        ]
        return context


def _with(query, **extra):
    query = query.copy()
    for key, value in extra.items():
        query[key] = value
    return query.urlencode()


class PublicEntryDetailView(View):
    template_name = "lists/public_detail.html"
    public_query = True

    def get(self, request, pk):
        try:
            entry = public_entry(pk=pk, on=timezone.localdate())
        except ListEntry.DoesNotExist:
            raise Http404("该名单信息不存在或已移出名单。") from None
        return render(request, self.template_name, {"entry": public_view(entry, with_details=True)})
