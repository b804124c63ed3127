"""Shared Django-admin pieces."""


class ReadOnlyAdminMixin:
    """Logs and snapshots are evidence: the back office may read them, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
