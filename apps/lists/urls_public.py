app_name = "lists_public"

urlpatterns = []
