"""Self-service password reset for subject accounts (enterprises and people), by e-mail.

Built on Django's password-reset views and tokens (one-time, expire after
``PASSWORD_RESET_TIMEOUT``). Two changes to the stock behaviour:

* only active subject accounts receive a link: back-office accounts (clerks,
  reviewers, credit-center staff, administrators) are reset by an
  administrator, so a stolen mailbox cannot take over a staff account;
* requests are rate-limited per client address (``PORTAL_RATE_PASSWORD_RESET``).

Whether the address belongs to an account or not, the answer is the same page,
so the form cannot be used to find out who is registered.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import path, reverse_lazy

from credit_portal.ratelimits import rate_limit

from .choices import Role
from .models import User


class SubjectPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        candidates = User.objects.filter(email__iexact=email, role=Role.SUBJECT, is_active=True)
        return (user for user in candidates if user.has_usable_password() and user.email.lower() == email.lower())


request_view = rate_limit("PORTAL_RATE_PASSWORD_RESET", methods=("POST",))(
    auth_views.PasswordResetView.as_view(
        form_class=SubjectPasswordResetForm,
        template_name="accounts/password_reset_form.html",
        email_template_name="accounts/password_reset_email.txt",
        subject_template_name="accounts/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_sent"),
        # The platform's name, not the request's host name.
        extra_email_context={"site_name": settings.SITE_NAME},
    )
)

urlpatterns = [
    path("password/reset/", request_view, name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_sent",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
