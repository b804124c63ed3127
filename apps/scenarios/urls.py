from django.urls import path

from . import views

app_name = "scenarios"

urlpatterns = [
    path("", views.CatalogView.as_view(), name="catalog"),
    path("my/", views.MyScenariosView.as_view(), name="my"),
    path("loans/", views.MyLoansView.as_view(), name="my_loans"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
]
