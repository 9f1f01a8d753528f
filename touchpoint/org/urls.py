from django.urls import path

from touchpoint.org import views

app_name = "org"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_reset, name="token"),
    path("notifications/", views.notifications, name="notifications"),
    path("settings/policy/", views.policy_table, name="policy"),
    path("settings/departments/", views.departments, name="departments"),
    path("settings/departments/new/", views.department_edit, name="department_new"),
    path("settings/departments/<int:pk>/", views.department_edit, name="department_edit"),
]
