"""Spreadsheet upload pages: template download, upload form, progress and result, files back.

An upload, its progress, its result and its files are visible only to the
uploading department and the credit center; anyone else gets 404, also when
guessing ids.
"""

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import DetailView, FormView, ListView

from apps.accounts.permissions import StaffRequiredMixin
from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec

from .choices import Outcome, UploadStatus
from .forms_upload import UploadForm
from .intake.rows import XLSX_MEDIA_TYPE, max_upload_bytes
from .intake.services import upload_queryset_for
from .intake.workbooks import result_workbook_name, template_workbook
from .models import Submission
from .tasks import upload_submit

PROBLEM_ROWS_PER_PAGE = 100


class TemplateDownloadView(StaffRequiredMixin, View):
    def get(self, request, type_code):
        record_type = get_object_or_404(RecordType, code=type_code, is_active=True)
        response = HttpResponse(template_workbook(TypeSpec.load(record_type)), content_type=XLSX_MEDIA_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{record_type.name}导入模板.xlsx")
        return response


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops keeping a file once it passes the limit, so an oversize upload is refused without being stored."""

    def __init__(self, request, limit):
        super().__init__(request)
        self.limit = limit
        self.refused: tuple[str, int] | None = None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.refused = (self.file_name, start + len(raw_data))
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


@method_decorator(csrf_exempt, name="dispatch")  # the CSRF check runs in _post, after the size handler is in place
class UploadCreateView(StaffRequiredMixin, FormView):
    template_name = "records/upload_form.html"
    form_class = UploadForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_department_staff and not user.department_id:
            raise PermissionDenied("账号未设置所属部门，不能上传。")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def get_initial(self):
        return {"record_type": self.request.GET.get("type")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record_types"] = context["form"].fields["record_type"].queryset
        context["max_mb"] = max_upload_bytes() // 1024 // 1024
        return context

    def post(self, request, *args, **kwargs):
        self.size_handler = SizeLimitUploadHandler(request, max_upload_bytes())
        request.upload_handlers.insert(0, self.size_handler)
        return self._post(request, *args, **kwargs)

    @method_decorator(csrf_protect)
    def _post(self, request, *args, **kwargs):
        form = self.get_form()
        if self.size_handler.refused:
            name, size = self.size_handler.refused
            limit = max_upload_bytes() // 1024 // 1024
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error(
                "file",
                f"文件“{name}”超过上限 {limit} MB（已收到 {size / 1024 / 1024:.1f} MB 时停止接收）。请拆分成多个文件分别上传。",
            )
            return self.form_invalid(form)
        if form.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def form_valid(self, form):
        upload = upload_submit(
            uploaded_file=form.cleaned_data["file"],
            record_type=form.cleaned_data["record_type"],
            department=form.cleaned_data["department"],
            user=self.request.user,
        )
        return redirect("records_upload:detail", pk=upload.pk)


class UploadAccessMixin(StaffRequiredMixin):
    def get_queryset(self):
        return upload_queryset_for(self.request.user)


class UploadListView(UploadAccessMixin, ListView):
    template_name = "records/upload_list.html"
    context_object_name = "uploads"
    paginate_by = 30

    def get_queryset(self):
        return super().get_queryset().defer("problems")


def _progress(upload) -> dict:
    total = max(upload.total_rows, upload.processed_rows)
    finished = upload.status in (UploadStatus.DONE, UploadStatus.FAILED)
    if upload.status == UploadStatus.DONE:
        percent = 100
    elif total:
        percent = min(99, upload.processed_rows * 100 // total)
    else:
        percent = 0
    return {
        "id": upload.pk,
        "status": upload.status,
        "status_display": upload.get_status_display(),
        "finished": finished,
        "total_rows": total,
        "processed_rows": upload.processed_rows,
        "percent": percent,
        "accepted": upload.accepted,
        "rejected": upload.rejected,
        "duplicates": upload.duplicates,
        "error": upload.error,
        "url": reverse("records_upload:detail", args=[upload.pk]),
    }


class UploadDetailView(UploadAccessMixin, DetailView):
    template_name = "records/upload_detail.html"
    context_object_name = "upload"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        upload = self.object
        progress = _progress(upload)
        entries = upload.problems or []
        rejected_rows = [e for e in entries if e.get("row") is not None]
        page = Paginator(rejected_rows, PROBLEM_ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        # The run's batch counts (one batch per month the run stored rows in).
        outcomes = upload.batches.aggregate(
            accepted=Sum("accepted"), updated=Sum("updated"), duplicates=Sum("duplicates"), rejected=Sum("rejected")
        )
        # Each rejected row on this page can be reopened in the form (the same entry permission as the form).
        fixable = dict(
            Submission.objects.filter(
                upload=upload, outcome=Outcome.REJECTED, fixed=False, row_number__in=[e["row"] for e in page]
            ).values_list("row_number", "pk")
        )
        for entry in page:
            entry["fix_pk"] = fixable.get(entry["row"])
        context.update(
            progress=progress,
            notes=[e["note"] for e in entries if e.get("row") is None and e.get("note")],
            warned_rows=(upload.warnings or {}).get("rows", []),
            warned_total=(upload.warnings or {}).get("total", 0),
            page_obj=page,
            is_paginated=page.has_other_pages(),
            counts={name: count or 0 for name, count in outcomes.items()},
            result_available=upload.status == UploadStatus.DONE and upload.rejected > 0,
        )
        return context


class UploadProgressView(UploadAccessMixin, DetailView):
    def render_to_response(self, context, **response_kwargs):
        response = JsonResponse(_progress(self.object))
        response["Cache-Control"] = "no-store"
        return response


class UploadFileView(UploadAccessMixin, DetailView):
    """The file as uploaded."""

    def render_to_response(self, context, **response_kwargs):
        upload = self.object
        return FileResponse(upload.file.open("rb"), as_attachment=True, filename=upload.original_name)


class UploadResultView(UploadAccessMixin, DetailView):
    """The rejected rows as .xlsx, bad cells marked."""

    def render_to_response(self, context, **response_kwargs):
        upload = self.object
        if upload.status != UploadStatus.DONE or not upload.rejected:
            raise Http404("该批次没有拒收的行")
        name = result_workbook_name(upload)
        stem = upload.original_name.rsplit(".", 1)[0]
        return FileResponse(
            default_storage.open(name, "rb"),
            as_attachment=True,
            filename=f"{stem}_问题数据.xlsx",
            content_type=XLSX_MEDIA_TYPE,
        )
