from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "用户与部门"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ApiKey, ClaimLock, Department, Power, SubjectClaim, User

        # Every change to users and departments is audit-logged with before/after.
        # Password hashes never go into the log.
        auditlog.register(User, exclude_fields=["password", "last_login"], m2m_fields={"groups"})
        auditlog.register(Department, m2m_fields={"powers"})
        auditlog.register(Power)
        auditlog.register(ApiKey, exclude_fields=["key_hash"])
        auditlog.register(SubjectClaim, exclude_fields=["code_hash"])
        # Who locked or unlocked an account's claims, and when.
        auditlog.register(ClaimLock)
