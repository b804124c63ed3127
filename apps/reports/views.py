"""Report pages: issue (from the profile page), the issued page, download, and the public verify page."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.portal.selectors import subject_profile
from apps.subjects.models import Subject
from credit_portal.client_ip import client_ip_or_none
from credit_portal.db_router import replica_read
from credit_portal.ratelimits import rate_limit

from .forms import ReportRequestForm, VerifyForm
from .models import CreditReport
from .pdf import report_pdf
from .services import SpecialReportRefused, public_snapshot, report_issue, report_verify

SESSION_KEY = "issued_reports"
SESSION_KEEP = 20


@require_POST
@rate_limit("PORTAL_RATE_REPORT")
def issue(request, pk):
    try:
        subject = Subject.objects.only("pk").get(pk=pk)
        profile = subject_profile(pk=pk, on=timezone.localdate())
    except Subject.DoesNotExist:
        raise Http404("该主体不存在或暂无可公示的信用信息。") from None
    form = ReportRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/profile.html", {"profile": profile, "report_form": form}, status=400)
    data = form.cleaned_data
    try:
        report = report_issue(
            subject=subject,
            kind=data["kind"],
            purpose=data["purpose"],
            purpose_note=data["purpose_note"],
            department_ids=data["departments"],
            period_from=data["period_from"],
            period_to=data["period_to"],
            requester=request.user,
            client_ip=client_ip_or_none(request),
            base_url=request.build_absolute_uri("/"),
        )
    except SpecialReportRefused as refused:
        form.add_error("kind", str(refused))
        return render(request, "portal/profile.html", {"profile": profile, "report_form": form}, status=403)
    # Only this browser may see the verification code again on the issued page.
    issued = [report.number, *request.session.get(SESSION_KEY, [])][:SESSION_KEEP]
    request.session[SESSION_KEY] = issued
    return redirect("reports:issued", number=report.number)


def issued(request, number):
    if number not in request.session.get(SESSION_KEY, []):
        raise Http404("未找到本次出具的报告。")
    report = CreditReport.objects.filter(number=number).first()
    if report is None:
        raise Http404("未找到本次出具的报告。")
    return render(request, "reports/issued.html", {"report": report})


# Verification reads from the replica once it has the report (the issue raised its fence).
@replica_read
@rate_limit("PORTAL_RATE_VERIFY")
def download(request, number):
    outcome = report_verify(number=number, code=request.GET.get("code", ""))
    if not outcome.verified:
        raise Http404("报告编号或验证码不正确。")
    response = HttpResponse(report_pdf(outcome.report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-report-{outcome.report.number}.pdf"'
    return response


@replica_read
@rate_limit("PORTAL_RATE_VERIFY")
def verify(request):
    """信用报告验证: number and code (typed in, or from the QR code's link)."""
    outcome = None
    form = VerifyForm(request.GET or None)
    if form.is_bound and form.is_valid():
        outcome = report_verify(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
    snapshot = public_snapshot(outcome.report.snapshot) if outcome is not None and outcome.verified else None
    # The records the report listed: a 专用版's penalties, else the standard report's records.
    rows = ((snapshot.get("special") or {}).get("penalties") or snapshot.get("records") or []) if snapshot else []
    context = {"form": form, "outcome": outcome, "snapshot": snapshot, "rows": rows}
    return render(request, "reports/verify.html", context)
