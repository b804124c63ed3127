from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import password_reset, views

app_name = "accounts"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/form.html",
            success_url=reverse_lazy("accounts:password_done"),
            extra_context={"title": "修改密码"},
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_done.html"),
        name="password_done",
    ),
    *password_reset.urlpatterns,
    path("register/", views.RegisterView.as_view(), name="register"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/review/", views.ClaimReviewView.as_view(), name="claim_review"),
    path("claims/<int:pk>/decide/", views.ClaimDecideView.as_view(), name="claim_decide"),
    path("claims/attempts/", views.ClaimAttemptsView.as_view(), name="claim_attempts"),
    path("claims/attempts/<int:pk>/lock/", views.ClaimLockView.as_view(), name="claim_lock"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserUpdateView.as_view(), name="user_update"),
    path("departments/", views.DepartmentListView.as_view(), name="department_list"),
    path("departments/new/", views.DepartmentCreateView.as_view(), name="department_create"),
    path("departments/<int:pk>/", views.DepartmentUpdateView.as_view(), name="department_update"),
]
