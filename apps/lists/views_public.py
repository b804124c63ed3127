"""Public pages (anonymous): red, black and watch list entries in force today on public list types, masked;
the joint rewards and punishments measures list in force today."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django_filters.views import FilterView

from credit_portal.pagination import BoundedPaginationMixin, bounded_page

from .choices import ListColor, MeasureKind
from .filtersets import PublicEntryFilterSet
from .models import ListEntry
from .selectors import public_entries, public_entry, public_measures, public_view

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


class PublicMeasureListView(View):
    """联合奖惩措施清单 (文登 #18): each measure in force today with its basis, department, lists and matters."""

    template_name = "lists/public_measures.html"
    public_query = True

    def get(self, request):
        today = timezone.localdate()
        kind = request.GET.get("kind", "")
        kind = kind if kind in MeasureKind.values else ""
        q = (request.GET.get("q") or "").strip()[:100]
        page = bounded_page(public_measures(on=today, kind=kind, q=q), request.GET.get("page"), per_page=PAGE_SIZE)
        query = {key: value for key, value in (("kind", kind), ("q", q)) if value}
        context = {
            "page_obj": page,
            "measures": page.object_list,
            "kind": kind,
            "q": q,
            "kinds": MeasureKind.choices,
            "today": today,
            "querystring": urlencode(query),
        }
        return render(request, self.template_name, context)
