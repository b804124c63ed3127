from django.urls import path

from . import views

urlpatterns = [
    path("credit-checks/", views.CreditCheckCreateView.as_view(), name="credit-check-create"),
    path("credit-checks/figures/", views.CreditCheckFiguresView.as_view(), name="credit-check-figures"),
    path("credit-checks/<int:pk>/feedback/", views.CreditCheckFeedbackView.as_view(), name="credit-check-feedback"),
]
