from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.RepairCaseListView.as_view(), name="repair-case-list"),
    path("objections/", views.ObjectionCaseListView.as_view(), name="repair-objection-list"),
]
