from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("profile/<int:pk>/", views.profile, name="profile"),
    path("guidance/", views.GuidanceView.as_view(), name="guidance"),
    path("columns/", views.ColumnsView.as_view(), name="columns"),
]
