from django.urls import path

from touchpoint.sales.views import leads as lead_views

app_name = "sales"

urlpatterns: list = [
    # --- leads (views/leads.py) ---
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/new/", lead_views.lead_create, name="lead_new"),
    path("leads/check/", lead_views.lead_check, name="lead_check"),
    path("leads/import/", lead_views.lead_import, name="lead_import"),
    path("leads/import/template/", lead_views.lead_import_template, name="lead_import_template"),
    path("leads/export/", lead_views.lead_export, name="lead_export"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/assign/", lead_views.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/qualify/", lead_views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", lead_views.lead_disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/reopen/", lead_views.lead_reopen, name="lead_reopen"),
    path("leads/<int:pk>/delete/", lead_views.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/history/", lead_views.lead_history, name="lead_history"),
    path("enquiry/", lead_views.enquiry, name="enquiry"),
    path("enquiry/thanks/", lead_views.enquiry_thanks, name="enquiry_thanks"),
    # --- opportunities, kanban, forecast, requirements (views/opportunities.py, views/requirements.py) ---
    # --- catalogue (views/catalogue.py) ---
    # --- quotes and approvals (views/quotes.py) ---
    # --- contracts (views/contracts.py) ---
]
