from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView

from .models import Notification
from .services import notifications_mark_read


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    def get_context_data(self, **kwargs):
        unread = Notification.objects.filter(user=self.request.user).unread().count()
        return super().get_context_data(unread=unread, **kwargs)


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one (``pk``) or all messages read; opening a message follows its link."""

    def post(self, request, pk=None):
        notifications_mark_read(user=request.user, ids=[pk] if pk else None)
        if pk:
            target = Notification.objects.filter(user=request.user, pk=pk).values_list("url", flat=True).first()
            if target and target.startswith("/") and not target.startswith("//"):
                return redirect(target)
        else:
            messages.success(request, "已全部标为已读。")
        return redirect("notifications:list")
