from django.urls import path

from .views import ValidateCodeView

urlpatterns = [
    path("validate-code/", ValidateCodeView.as_view(), name="subject-validate-code"),
]
