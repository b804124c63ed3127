from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("public/", views.PublicListView.as_view(), name="public"),
    path("public/templates/", views.PublicTemplateListView.as_view(), name="public_templates"),
    path("public/templates/<int:pk>/", views.PublicTemplateDetailView.as_view(), name="public_template"),
    path("public/matters/", views.PublicNoticeMattersView.as_view(), name="public_matters"),
    path("my/", views.MyCommitmentsView.as_view(), name="my"),
    path("", views.StaffListView.as_view(), name="staff_list"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/template/", views.ImportTemplateView.as_view(), name="import_template"),
    path("paper/", views.PaperEntryView.as_view(), name="paper"),
    path("<int:pk>/fulfil/", views.FulfilView.as_view(), name="fulfil"),
    path("templates/", views.TemplateListView.as_view(), name="templates"),
    path("templates/new/", views.TemplateEditView.as_view(), name="template_create"),
    path("templates/<int:pk>/", views.TemplateEditView.as_view(), name="template_edit"),
]
