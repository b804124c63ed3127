app_name = "records_upload"

urlpatterns = []
