"""Pages of the 信用修复告知书 (两书同达): single PDFs, bulk zips, and recording their service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views import View

from apps.accounts.permissions import StaffRequiredMixin
from apps.records.intake.services import upload_queryset_for

from .choices import BatchState
from .documents import BULK_MAX, notice_filename, repair_notice_pdf
from .forms import (
    BulkNoticeServiceForm,
    NoticeServiceForm,
    PeriodForm,
)
from .selectors import (
    notice_batches_visible,
    notice_records,
    upload_notice_records,
)
from .services import notices
from .tasks import notice_batch_queue
from .views_common import PDF, add_errors, attachment


class NoticePdfView(StaffRequiredMixin, View):
    """两书同达: the 信用修复告知书 of one published penalty, served with the penalty decision."""

    def get(self, request, record_pk):
        record = get_object_or_404(notice_records(user=request.user), pk=record_pk)
        return attachment(repair_notice_pdf(record=record), notice_filename(record), PDF)


class NoticeBulkView(StaffRequiredMixin, View):
    """The department's published penalties decided in a period; their 告知书 in one zip, built by a Celery task."""

    def render_page(self, request, form, *, status=200):
        records = None
        if form.is_bound and form.is_valid():
            d = form.cleaned_data
            records = notice_records(user=request.user).filter(
                decision_date__gte=d["date_from"], decision_date__lte=d["date_to"]
            )
            records = records.order_by("decision_date", "pk")[:BULK_MAX]
        return render(
            request,
            "repair/notices.html",
            {
                "form": form,
                "records": records,
                "bulk_max": BULK_MAX,
                "batches": notice_batches_visible(user=request.user)[:10],
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(request, PeriodForm(request.GET or None))

    def post(self, request):
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                batch = notices.notice_batch_request(
                    user=request.user, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                notice_batch_queue(batch)
                messages.success(request, f"已开始生成 {batch.total} 份告知书，完成后可在本页下载。")
                return redirect("repair:notice_batch", pk=batch.pk)
        return self.render_page(request, form, status=400)


class NoticeBatchView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        return render(request, "repair/notice_batch.html", {"batch": batch})


class NoticeBatchProgressView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        response = JsonResponse(
            {
                "state": batch.state,
                "state_display": batch.get_state_display(),
                "done": batch.done,
                "total": batch.total,
                "percent": batch.percent,
                "finished": batch.finished,
            }
        )
        add_never_cache_headers(response)
        return response


class NoticeBatchDownloadView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        if batch.state != BatchState.DONE or not batch.file:
            raise Http404("告知书尚未生成完毕。")
        return FileResponse(
            batch.file.open("rb"), as_attachment=True, filename=batch.filename, content_type="application/zip"
        )


class NoticeServeView(StaffRequiredMixin, View):
    """Record on the record page when and how the 告知书 of one penalty was served."""

    def post(self, request, record_pk):
        record = get_object_or_404(notice_records(user=request.user), pk=record_pk)
        form = NoticeServiceForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"送达登记未保存：{error}")
            return redirect("records:detail", pk=record.pk)
        d = form.cleaned_data
        try:
            (service,) = notices.notice_service_record(
                records=[record], served_on=d["served_on"], method=d["method"], note=d["note"], user=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, f"送达登记未保存：{message}")
        else:
            together = "，两书同达" if service.served_with_decision else "（未与处罚决定书同日送达）"
            messages.success(
                request, f"已登记告知书送达：{service.served_on:%Y-%m-%d} {service.get_method_display()}{together}。"
            )
        return redirect("records:detail", pk=record.pk)


class UploadNoticesView(StaffRequiredMixin, View):
    """The penalties one upload stored: their 告知书 in one zip, and their service recorded in bulk."""

    def get_upload(self, request, pk):
        return get_object_or_404(upload_queryset_for(request.user), pk=pk)

    def render_page(self, request, upload, form, *, status=200):
        records = upload_notice_records(user=request.user, upload=upload)
        return render(
            request,
            "repair/upload_notices.html",
            {
                "upload": upload,
                "records": records[:BULK_MAX],
                "count": records.count(),
                "bulk_max": BULK_MAX,
                "form": form,
                "batches": notice_batches_visible(user=request.user).filter(upload=upload)[:5],
            },
            status=status,
        )

    def make_form(self, request, upload, data=None):
        return BulkNoticeServiceForm(data, records=upload_notice_records(user=request.user, upload=upload))

    def get(self, request, pk):
        upload = self.get_upload(request, pk)
        return self.render_page(request, upload, self.make_form(request, upload))

    def post(self, request, pk):
        upload = self.get_upload(request, pk)
        if request.POST.get("action") == "zip":
            try:
                batch = notices.notice_upload_batch_request(user=request.user, upload=upload)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("repair:upload_notices", pk=upload.pk)
            notice_batch_queue(batch)
            messages.success(request, f"已开始生成 {batch.total} 份告知书，完成后可在本页下载。")
            return redirect("repair:notice_batch", pk=batch.pk)
        form = self.make_form(request, upload, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = notices.notice_service_record(
                    records=d["records"],
                    served_on=d["served_on"],
                    method=d["method"],
                    note=d["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                together = sum(1 for s in saved if s.served_with_decision)
                messages.success(request, f"已登记 {len(saved)} 份告知书的送达，其中两书同达 {together} 份。")
                return redirect("repair:upload_notices", pk=upload.pk)
        return self.render_page(request, upload, form, status=400)
