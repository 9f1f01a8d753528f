from touchpoint.insights import views

app_name = "insights"

urlpatterns = [*views.urlpatterns]
