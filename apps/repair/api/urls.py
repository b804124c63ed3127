from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.RepairCaseListView.as_view(), name="repair-case-list"),
    path("objections/", views.ObjectionCaseListView.as_view(), name="repair-objection-list"),
    path("notices/<int:record_pk>/pdf/", views.NoticePdfAPIView.as_view(), name="repair-notice-pdf"),
    path("notices/<int:record_pk>/service/", views.NoticeServiceAPIView.as_view(), name="repair-notice-service"),
]
