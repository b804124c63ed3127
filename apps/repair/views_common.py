"""What the repair app's pages share: form-error and file-answer helpers, and the workflow-button view."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.views import View

PDF = "application/pdf"


def add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def valid(form) -> dict:
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    return form.cleaned_data


def reason(request) -> str:
    return request.POST.get("reason", "").strip()


def reply(request) -> str:
    return request.POST.get("reply", "").strip()


class CaseActionView(LoginRequiredMixin, View):
    """POST-only workflow buttons of a case's detail page, looked up in ``actions``."""

    actions: dict = {}
    detail_url_name = ""

    def visible(self, user):
        raise NotImplementedError

    def post(self, request, pk, action):
        case = get_object_or_404(self.visible(request.user), pk=pk)
        if action not in self.actions:
            raise Http404("未知操作")
        run, done = self.actions[action]
        try:
            run(request, case)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
        return redirect(self.detail_url_name, pk=pk)
