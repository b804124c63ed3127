app_name = "credit_checks"

urlpatterns = []
