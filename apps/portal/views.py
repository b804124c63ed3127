from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView

from apps.accounts.permissions import CenterRequiredMixin
from apps.declarations.selectors import public_declarations
from apps.reports.forms import unbound_request_fields
from apps.scenarios.selectors import catalog_scenarios
from apps.subjects.models import Subject
from credit_portal.db_router import replica_configured, replica_health, replica_read
from credit_portal.pagination import bounded_page
from credit_portal.public_queries import public_query
from credit_portal.ratelimits import rate_limit

from .choices import ArticleCategory
from .forms import ArticleForm
from .home import home_page
from .models import Article
from .search import public_subject_search
from .selectors import subject_profile
from .services import article_save, article_unpublish


class HomeView(TemplateView):
    template_name = "portal/home.html"
    public_query = True  # statement timeout (credit_portal/public_queries.py)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["articles"] = list(Article.objects.published(on=today).defer("body")[:6])
        context["home"] = home_page(on=today)
        return context


SEARCH_PAGE_SIZE = 20


@public_query
@rate_limit("PORTAL_RATE_SEARCH")
def search(request):
    """信用查询: by name fragment (2+ characters), USCC or legacy code."""
    query = request.GET.get("q", "")
    outcome = public_subject_search(query=query, on=timezone.localdate())
    # The ranked hits (at most PORTAL_SEARCH_MAX_RESULTS) are paged here: the search itself is bounded.
    page = Paginator(outcome.hits, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"outcome": outcome, "q": outcome.query, "page_obj": page, "is_paginated": page.has_other_pages()}
    return render(request, "portal/search.html", context)


# No statement timeout here: five indexed look-ups by key, capped at PORTAL_PROFILE_MAX_RECORDS, with a
# query budget of its own (bench/README.md, portal). Read from the replica when there is one.
@replica_read
@rate_limit("PORTAL_RATE_PROFILE")
def profile(request, pk):
    """A subject's public credit profile (信用档案)."""
    try:
        data = subject_profile(pk=pk, on=timezone.localdate())
    except Subject.DoesNotExist:
        raise Http404("该主体不存在或暂无可公示的信用信息。") from None
    context = {
        "profile": data,
        "report_form_fields": unbound_request_fields(),
        # Self-declared information, marked 自主申报（未核实）until a department verifies it (文登 #9).
        "declarations": public_declarations(subject_id=pk),
    }
    return render(request, "portal/profile.html", context)


@method_decorator(rate_limit("PORTAL_RATE_PROFILE"), name="dispatch")
class GuidanceView(TemplateView):
    """信用修复和异议申请指南: who may apply, what to bring, how long it takes."""

    template_name = "portal/guidance.html"


class ColumnsView(TemplateView):
    """公示栏目: the publication columns in one place."""

    template_name = "portal/columns.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["scenarios"] = list(catalog_scenarios().values_list("name", flat=True))
        return context


def healthz(request):
    """Liveness for the load balancer and the container: database and cache reachable."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy", reported by class name
        status["database"] = f"error: {type(exc).__name__}"
    try:
        cache.set("healthz", "1", 5)
        status["cache"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as exc:  # noqa: BLE001
        status["cache"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in status.values())
    if replica_configured():
        # Reported, not judged: with the replica down the primary serves the public (docs/replica.md).
        status["replica"] = replica_health()
    return JsonResponse(status, status=200 if healthy else 503)


# --- articles: 政策法规, 信用动态, 诚信典型 -------------------------------------------------


@public_query
def articles(request):
    """The published articles, optionally of one category."""
    category = request.GET.get("category", "")
    qs = Article.objects.published(on=timezone.localdate()).defer("body")
    if category in ArticleCategory.values:
        qs = qs.filter(category=category)
    else:
        category = ""
    page = bounded_page(qs, request.GET.get("page"), per_page=20)
    querystring = f"category={category}" if category else ""
    return render(
        request,
        "portal/articles.html",
        {"page": page, "category": category, "categories": ArticleCategory.choices, "querystring": querystring},
    )


@replica_read
def article(request, pk):
    item = get_object_or_404(Article.objects.published(on=timezone.localdate()), pk=pk)
    return render(request, "portal/article.html", {"article": item})


class ArticleManageView(CenterRequiredMixin, View):
    def get(self, request):
        page = Paginator(Article.objects.defer("body").order_by("-updated_at", "-pk"), 50).get_page(
            request.GET.get("page")
        )
        return render(request, "portal/article_manage.html", {"page": page})


class ArticleEditView(CenterRequiredMixin, View):
    def _page(self, request, form, obj, status=200):
        return render(request, "portal/article_form.html", {"form": form, "obj": obj}, status=status)

    def get(self, request, pk=None):
        obj = get_object_or_404(Article, pk=pk) if pk else None
        return self._page(request, ArticleForm(instance=obj), obj)

    def post(self, request, pk=None):
        obj = get_object_or_404(Article, pk=pk) if pk else None
        form = ArticleForm(request.POST, instance=obj)
        if not form.is_valid():
            return self._page(request, form, obj, status=400)
        saved = article_save(article=form.save(commit=False), user=request.user)
        messages.success(request, f"文章“{saved.title}”已保存{'并发布' if saved.is_published else '（未发布）'}。")
        return redirect("portal:article_manage")


class ArticleUnpublishView(CenterRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = get_object_or_404(Article, pk=pk)
        article_unpublish(article=item, user=request.user)
        messages.success(request, f"文章“{item.title}”已撤下，公众不再可见。")
        return redirect("portal:article_manage")
