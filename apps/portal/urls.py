from django.urls import path

from . import views, views_tools

app_name = "portal"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("profile/<int:pk>/", views.profile, name="profile"),
    path("guidance/", views.GuidanceView.as_view(), name="guidance"),
    path("columns/", views.ColumnsView.as_view(), name="columns"),
    path("departments/", views_tools.departments, name="departments"),
    path("tools/code-check/", views_tools.code_check, name="code_check"),
    path("tools/deadline/", views_tools.deadline, name="deadline"),
    path("articles/", views.articles, name="articles"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/manage/", views.ArticleManageView.as_view(), name="article_manage"),
    path("articles/manage/new/", views.ArticleEditView.as_view(), name="article_create"),
    path("articles/manage/<int:pk>/", views.ArticleEditView.as_view(), name="article_edit"),
    path("articles/manage/<int:pk>/unpublish/", views.ArticleUnpublishView.as_view(), name="article_unpublish"),
]
