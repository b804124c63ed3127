from django.urls import path

from . import views

app_name = "subjects"

urlpatterns = [
    path("", views.SubjectListView.as_view(), name="list"),
    path("code-quality/", views.CodeQualityView.as_view(), name="code_quality"),
    path("<int:pk>/", views.SubjectDetailView.as_view(), name="detail"),
    path("<int:pk>/reveal-id/", views.SubjectRevealIdView.as_view(), name="reveal_id"),
]
