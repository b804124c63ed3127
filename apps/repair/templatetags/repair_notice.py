"""The 两书同达 panels other apps' pages show: on a penalty's record page and on an upload's result page.

Inclusion tags, so the records app's views need not know about the repair app's notice service.
"""

from django import template
from django.urls import reverse

from apps.accounts.permissions import StaffRequiredMixin, has_role

from ..forms import NoticeServiceForm
from ..selectors import notice_records

register = template.Library()


@register.inclusion_tag("repair/_notice_panel.html")
def notice_panel(record, user):
    """The 告知书 download and the service form, for a penalty that gets a notice and a user who may see it."""
    if (
        not has_role(user, StaffRequiredMixin.allowed_roles)
        or not notice_records(user=user).filter(pk=record.pk).exists()
    ):
        return {"show": False}
    service = getattr(record, "notice_service", None)  # None when not yet recorded
    form = NoticeServiceForm(initial={"served_on": record.decision_date, "method": "in_person"})
    return {"show": True, "record": record, "service": service, "form": form}


@register.inclusion_tag("repair/_upload_notice_link.html")
def upload_notice_link(upload):
    """On a finished penalty upload: where to get its 告知书 in one zip and record their service."""
    show = upload.record_type.code == "penalty" and upload.status == "done"
    return {"show": show, "url": reverse("repair:upload_notices", args=[upload.pk]) if show else ""}
