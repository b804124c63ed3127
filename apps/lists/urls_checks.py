from django.urls import path

from . import views_checks

app_name = "credit_checks"

urlpatterns = [
    path("", views_checks.CheckHomeView.as_view(), name="home"),
    path("history/", views_checks.CheckHistoryView.as_view(), name="history"),
    path("batch/", views_checks.BatchCheckView.as_view(), name="batch"),
    path("figures/", views_checks.FiguresView.as_view(), name="figures"),
    path("<int:pk>/", views_checks.CheckDetailView.as_view(), name="detail"),
]
