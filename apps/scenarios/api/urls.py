from django.urls import path

from . import views

urlpatterns = [
    path("scenarios/<slug:code>/check/", views.ScenarioCheckView.as_view(), name="scenario-check"),
    path("loans/demand/", views.DemandView.as_view(), name="loan-demand"),
    path("loans/subjects/<str:code>/summary/", views.SummaryView.as_view(), name="loan-summary"),
    path("loans/needs/<int:pk>/offer/", views.OfferView.as_view(), name="loan-offer"),
]
