app_name = "lists"

urlpatterns = []
