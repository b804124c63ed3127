from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("issue/<int:pk>/", views.issue, name="issue"),
    path("issued/<str:number>/", views.issued, name="issued"),
    path("<str:number>/pdf/", views.download, name="download"),
]
