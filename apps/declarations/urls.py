from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("my/", views.MyDeclarationsView.as_view(), name="my"),
    path("review/", views.ReviewListView.as_view(), name="review_list"),
    path("review/<int:pk>/", views.ReviewView.as_view(), name="review"),
]
