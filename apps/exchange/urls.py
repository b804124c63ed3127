from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.ExchangeIndexView.as_view(), name="index"),
    path("download/", views.ExchangeDownloadView.as_view(), name="download"),
    path("share/", views.ShareDownloadView.as_view(), name="share"),
    path("push/", views.PushCreateView.as_view(), name="push"),
    path("push/resend/", views.ResendView.as_view(), name="resend"),
]
