from django.urls import path

from .views import ReportVerifyView

urlpatterns = [
    path("verify/", ReportVerifyView.as_view(), name="report-verify"),
]
