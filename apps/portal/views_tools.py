"""Public tools on the site itself: the department directory, a code check and a deadline calculator.

The home page used to send people to the browsable REST API and to Swagger for these (English, raw
JSON); each is now a page in the site's layout. All three are read-only and rate-limited like search.
"""

from django import forms
from django.db.models import Prefetch
from django.shortcuts import render

from apps.accounts.models import Department, Power
from apps.catalog.models import RecordType
from apps.subjects.codes import check_uscc
from apps.workdays.forms import DeadlineForm
from apps.workdays.services import workdays_add
from credit_portal.db_router import replica_read
from credit_portal.ratelimits import rate_limit


class CodeCheckForm(forms.Form):
    code = forms.CharField(
        label="统一社会信用代码",
        max_length=40,
        error_messages={"required": "请输入统一社会信用代码。", "max_length": "代码过长，统一社会信用代码为18位。"},
    )


@replica_read
@rate_limit("PORTAL_RATE_SEARCH")
def departments(request):
    """部门目录: the departments reporting to the platform and the kinds of information each reports."""
    types = RecordType.objects.filter(is_active=True).order_by("sort_order", "code")
    powers = Power.objects.order_by("sort_order", "code").prefetch_related(Prefetch("record_types", queryset=types))
    rows = Department.objects.filter(is_active=True).order_by("code").prefetch_related(Prefetch("powers", powers))
    return render(request, "portal/departments.html", {"departments": rows})


@rate_limit("PORTAL_RATE_SEARCH")
def code_check(request):
    """代码校验 by GB 32100-2015: the format, the region and the check characters — never whether a subject exists."""
    form = CodeCheckForm(request.GET or None)
    result = check_uscc(form.cleaned_data["code"]) if form.is_valid() else None
    return render(request, "portal/code_check.html", {"form": form, "result": result})


@replica_read
@rate_limit("PORTAL_RATE_SEARCH")
def deadline(request):
    """工作日计算: a decision date plus N working days on the PRC calendar, and which calendar answered."""
    form = DeadlineForm(request.GET or None)
    result, error = None, None
    if form.is_valid():
        try:
            result = workdays_add(**form.cleaned_data)
        except ValueError as exc:
            error = str(exc)
    return render(request, "portal/deadline.html", {"form": form, "result": result, "error": error})
