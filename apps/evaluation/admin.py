from django.contrib import admin

from . import models


@admin.register(models.ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["version", "name", "effective_from", "base_score", "is_active"]


@admin.register(models.SupervisionPolicy)
class SupervisionPolicyAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "grade_factors", "provincial_precedence"]


@admin.register(models.SupervisionField)
class SupervisionFieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_special"]


@admin.register(models.EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ["on", "method", "status", "subjects", "changed", "started_at", "finished_at"]
