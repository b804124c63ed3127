from django.urls import path

from . import views

app_name = "subjects"

urlpatterns = [
    path("", views.SubjectListView.as_view(), name="list"),
    path("code-quality/", views.CodeQualityView.as_view(), name="code_quality"),
]
