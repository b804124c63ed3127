from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("model/", views.ModelView.as_view(), name="model"),
    path("subjects/<int:pk>/", views.GradeDetailView.as_view(), name="grade_detail"),
    path("my/", views.MyGradeView.as_view(), name="my_grade"),
    path("interviews/", views.InterviewListView.as_view(), name="interviews"),
    path("interviews/<int:pk>/", views.InterviewRecordView.as_view(), name="interview_record"),
    path("provincial/", views.ProvincialImportView.as_view(), name="provincial_import"),
    path("inspections/", views.TaskListView.as_view(), name="tasks"),
    path("inspections/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("inspections/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("inspections/<int:pk>/draw/", views.TaskDrawView.as_view(), name="task_draw"),
    path("inspections/<int:pk>/export.xlsx", views.TaskExportView.as_view(), name="task_export"),
]
