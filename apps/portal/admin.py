from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_published", "published_on", "updated_at")
    list_filter = ("category", "is_published")
    search_fields = ("title",)
    readonly_fields = ("created_by", "updated_by", "created_at", "updated_at")
