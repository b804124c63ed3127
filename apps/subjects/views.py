from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, StaffRequiredMixin, has_role
from credit_portal.client_ip import client_ip_or_none

from .codes import check_id_number, mask_id_number, region_name
from .filtersets import SubjectFilterSet
from .forms import RevealReasonForm
from .models import Subject
from .selectors import code_quality_summary, duplicate_code_groups, erroneous_subjects, suspect_subjects
from .services import subject_id_number_reveal

CODE_QUALITY_LIST_LIMIT = 200


class SubjectListView(StaffRequiredMixin, FilterView):
    template_name = "subjects/list.html"
    filterset_class = SubjectFilterSet
    context_object_name = "subjects"
    paginate_by = 50
    # An unfiltered list is useful (browse the registry), so no "strict" empty page.
    strict = False

    def handle_no_permission(self):
        # The login redirect carries the full URL in ?next=; keep a searched ID number out of it.
        if not self.request.user.is_authenticated and check_id_number(self.request.GET.get("q", "")).valid:
            return redirect_to_login(self.request.path)
        return super().handle_no_permission()

    def get_queryset(self):
        return Subject.objects.only(
            "pk", "kind", "name", "uscc", "code_valid", "status", "id_number_masked", "region_code"
        ).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        q = query.get("q", "")
        id_check = check_id_number(q)
        if id_check.valid:
            # A search by full ID number is allowed, but the page shows it back
            # masked and keeps it out of the pagination links.
            q = mask_id_number(id_check.code)
            query.pop("q")
        context.update(q_display=q, searched_id_number=id_check.valid, querystring=query.urlencode())
        return context


class SubjectDetailView(StaffRequiredMixin, DetailView):
    model = Subject
    template_name = "subjects/detail.html"
    context_object_name = "subject"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_detail_extras(self.request.user, self.object, kwargs.get("reveal_form")))
        return context


def _detail_extras(user, subject, reveal_form=None) -> dict:
    return {
        "region": region_name(subject.region_code) if subject.region_code else None,
        "can_reveal": bool(subject.id_number_encrypted) and has_role(user, CENTER_ROLES),
        "reveal_form": reveal_form or RevealReasonForm(),
    }


class SubjectRevealIdView(CenterRequiredMixin, View):
    """POST only: show a person's full ID number once, after logging who, why and from where.

    The number is rendered into this response (never into a URL or a redirect)
    and the response is marked uncacheable.
    """

    http_method_names = ["post"]

    def post(self, request, pk):
        # A subject without a stored number has nothing to reveal (and no form to post from).
        subject = get_object_or_404(Subject.objects.exclude(id_number_encrypted=""), pk=pk)
        form = RevealReasonForm(request.POST)
        if form.is_valid():
            try:
                id_number = subject_id_number_reveal(
                    subject=subject,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    remote_addr=client_ip_or_none(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                response = render(
                    request,
                    "subjects/reveal_id.html",
                    {"subject": subject, "id_number": id_number, "reason": form.cleaned_data["reason"]},
                )
                add_never_cache_headers(response)
                return response
        context = {"subject": subject, "object": subject, **_detail_extras(request.user, subject, form)}
        return render(request, SubjectDetailView.template_name, context, status=400)


class CodeQualityView(CenterRequiredMixin, TemplateView):
    """重错码: duplicate codes, erroneous codes, suspect codes and the 重错码率."""

    template_name = "subjects/code_quality.html"

    def get_context_data(self, **kwargs):
        limit = CODE_QUALITY_LIST_LIMIT
        return super().get_context_data(
            summary=code_quality_summary(),
            duplicate_groups=duplicate_code_groups(limit=limit),
            erroneous=erroneous_subjects().only("pk", "name", "uscc", "kind", "code_warnings")[:limit],
            suspects=suspect_subjects().only("pk", "name", "uscc", "kind", "code_warnings")[:limit],
            limit=limit,
            **kwargs,
        )
