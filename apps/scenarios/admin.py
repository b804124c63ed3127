from django.contrib import admin

from . import models


@admin.register(models.Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "owner", "is_active"]
    filter_horizontal = ["partners"]


@admin.register(models.Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "api_key"]


admin.site.register(models.FinancingNeed)
admin.site.register(models.LoanOffer)
