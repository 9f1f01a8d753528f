from touchpoint.service.views import complaints, contracts, knowledge, mail, maintenance, requests, settings, surveys

app_name = "service"

urlpatterns = [
    *requests.urlpatterns,
    *contracts.urlpatterns,
    *complaints.urlpatterns,
    *knowledge.urlpatterns,
    *surveys.urlpatterns,
    *maintenance.urlpatterns,
    *mail.urlpatterns,
    *settings.urlpatterns,
]
