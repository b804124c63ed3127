"""Role checks shared by HTML views and API views.

Anonymous visitors are sent to the login page; a signed-in user whose role does
not fit gets 403. Object-level rules (a department sees only its own data) live
in each app's selectors, which filter by ``user.department``.
"""

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission

from .choices import Role

CENTER_ROLES = (Role.CENTER, Role.ADMIN)


def has_role(user, roles) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) in roles


class RoleRequiredMixin(AccessMixin):
    allowed_roles: tuple = ()
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, self.allowed_roles):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class CenterRequiredMixin(RoleRequiredMixin):
    allowed_roles = CENTER_ROLES


class AdminRequiredMixin(RoleRequiredMixin):
    allowed_roles = (Role.ADMIN,)


class StaffRequiredMixin(RoleRequiredMixin):
    allowed_roles = (Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN)


class IsCenterStaff(BasePermission):
    message = "仅信用中心工作人员可以执行此操作。"

    def has_permission(self, request, view):
        return has_role(request.user, CENTER_ROLES)
