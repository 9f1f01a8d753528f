from django.urls import path

from touchpoint.touchpoints import followup_views, views

app_name = "touchpoints"
urlpatterns = [
    path("customers/<int:customer_pk>/touchpoints/new/", views.touchpoint_create, name="new"),
    path("customers/<int:customer_pk>/email/", views.email_compose, name="email"),
    path("customers/<int:customer_pk>/followups/new/", followup_views.followup_create, name="followup_new"),
    path("touchpoints/<int:pk>/", views.touchpoint_detail, name="detail"),
    path("touchpoints/<int:pk>/edit/", views.touchpoint_edit, name="edit"),
    path("touchpoints/<int:pk>/history/", views.touchpoint_history, name="history"),
    path("touchpoints/<int:pk>/delete/", views.touchpoint_delete, name="delete"),
    path("touchpoints/<int:pk>/restore/", views.touchpoint_restore, name="restore"),
    path("touchpoints/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("followups/", followup_views.followup_list, name="followups"),
    path("followups/<int:pk>/", followup_views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/edit/", followup_views.followup_edit, name="followup_edit"),
    path("followups/<int:pk>/done/", followup_views.followup_complete, name="followup_done"),
    path("followups/<int:pk>/reassign/", followup_views.followup_reassign, name="followup_reassign"),
    path("followups/<int:pk>/history/", followup_views.followup_history, name="followup_history"),
    path("followups/<int:pk>/delete/", followup_views.followup_delete, name="followup_delete"),
    path("followups/<int:pk>/restore/", followup_views.followup_restore, name="followup_restore"),
]
