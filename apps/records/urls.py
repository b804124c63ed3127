from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("", views.RecordListView.as_view(), name="list"),
    path("new/", views.TypeChooserView.as_view(), name="choose_type"),
    path("new/<slug:type_code>/", views.RecordCreateView.as_view(), name="create"),
    path("<int:pk>/", views.RecordDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.RecordEditView.as_view(), name="edit"),
    path("<int:pk>/<str:action>/", views.RecordActionView.as_view(), name="action"),
    path("submissions/<int:pk>/fix/", views.SubmissionFixView.as_view(), name="fix_submission"),
]
