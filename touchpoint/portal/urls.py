"""The portal's URL space under /portal/: the customer's pages, and staff pages under staff/.

Ids in the customer's URLs are taken as strings and looked up within the user's own customers, so
any other value (another customer's id, garbage) gets the same 404."""

from django.urls import path

from touchpoint.portal.views import account, auth, complaints, pages, requests, staff, surveys

app_name = "portal"

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("password/reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("invitation/<str:token>/", auth.accept, name="accept"),
    path("", pages.home, name="home"),
    path("products/", pages.products, name="products"),
    path("contracts/", pages.contracts, name="contracts"),
    path("milestones/", pages.milestones, name="milestones"),
    path("documents/", pages.documents, name="documents"),
    path("documents/<str:pk>/download/", pages.document_download, name="document_download"),
    path("announcements/", pages.announcements, name="announcements"),
    path("announcements/<str:pk>/", pages.announcement, name="announcement"),
    path("knowledge/", pages.knowledge, name="knowledge"),
    path("knowledge/<str:pk>/", pages.article, name="article"),
    path("knowledge/<str:pk>/feedback/", pages.article_feedback, name="article_feedback"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/suggestions/", requests.suggestions, name="request_suggestions"),
    path("requests/<str:pk>/", requests.request_detail, name="request"),
    path("requests/<str:pk>/reply/", requests.request_reply, name="request_reply"),
    path("requests/<str:pk>/confirm/", requests.request_confirm, name="request_confirm"),
    path("requests/<str:pk>/reopen/", requests.request_reopen, name="request_reopen"),
    path("requests/<str:pk>/rate/", requests.request_rate, name="request_rate"),
    path("requests/<str:pk>/files/<str:file_pk>/", requests.request_file, name="request_file"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/<str:pk>/", complaints.complaint_detail, name="complaint"),
    path("complaints/<str:pk>/confirm/", complaints.complaint_confirm, name="complaint_confirm"),
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/<str:pk>/", surveys.survey_detail, name="survey"),
    path("profile/", account.profile, name="profile"),
    path("profile/two-factor/", account.mfa_activate, name="mfa_activate"),
    path("profile/two-factor/off/", account.mfa_deactivate, name="mfa_deactivate"),
    path("colleagues/", account.colleagues, name="colleagues"),
    path("colleagues/<str:pk>/deactivate/", account.colleague_deactivate, name="colleague_deactivate"),
    # Staff pages.
    path("staff/announcements/", staff.announcements, name="staff_announcements"),
    path("staff/announcements/new/", staff.announcement_edit, name="staff_announcement_new"),
    path("staff/announcements/<int:pk>/", staff.announcement_edit, name="staff_announcement_edit"),
    path("staff/customers/<int:pk>/users/", staff.customer_users, name="staff_customer_users"),
    path(
        "staff/customers/<int:pk>/users/<int:account_pk>/deactivate/", staff.customer_user_deactivate, name="staff_customer_user_deactivate"
    ),  # fmt: skip
]
