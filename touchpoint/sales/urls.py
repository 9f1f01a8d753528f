from django.urls import path

from touchpoint.sales.views import catalogue
from touchpoint.sales.views import contracts as contract_views
from touchpoint.sales.views import leads as lead_views
from touchpoint.sales.views import opportunities as opportunity_views
from touchpoint.sales.views import pricing as pricing_views
from touchpoint.sales.views import quotes as quote_views
from touchpoint.sales.views import recommendation as recommendation_views
from touchpoint.sales.views import reports as report_views
from touchpoint.sales.views import requirements as requirement_views
from touchpoint.sales.views import settings as sales_settings

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
    path("opportunities/", opportunity_views.opportunity_list, name="opportunities"),
    path("opportunities/export/", opportunity_views.opportunity_export, name="opportunity_export"),
    path("opportunities/board/", opportunity_views.opportunity_board, name="opportunity_board"),
    path("customers/<int:customer_pk>/opportunities/new/", opportunity_views.opportunity_create,
         name="opportunity_new"),  # fmt: skip
    path("opportunities/<int:pk>/", opportunity_views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", opportunity_views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/history/", opportunity_views.opportunity_history, name="opportunity_history"),
    path("opportunities/<int:pk>/move/", opportunity_views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/reassign/", opportunity_views.opportunity_reassign, name="opportunity_reassign"),
    path("opportunities/<int:pk>/team/", opportunity_views.opportunity_team, name="opportunity_team"),
    path("opportunities/<int:pk>/delete/", opportunity_views.opportunity_delete, name="opportunity_delete"),
    path("opportunities/<int:pk>/requirements/", requirement_views.requirement_section, name="requirements"),
    path("opportunities/<int:pk>/requirements/new/", requirement_views.requirement_add, name="requirement_new"),
    path("opportunities/<int:pk>/requirements/reuse/", requirement_views.requirement_reuse,
         name="requirement_reuse"),  # fmt: skip
    path("requirements/<int:pk>/edit/", requirement_views.requirement_edit, name="requirement_edit"),
    path("requirements/<int:pk>/delete/", requirement_views.requirement_delete, name="requirement_delete"),
    path("requirements/<int:pk>/move/", requirement_views.requirement_move, name="requirement_move"),
    # --- catalogue (views/catalogue.py) ---
    path("products/", catalogue.product_list, name="products"),
    path("products/new/", catalogue.product_create, name="product_new"),
    path("products/<int:pk>/", catalogue.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", catalogue.product_edit, name="product_edit"),
    path("products/<int:pk>/modules/new/", catalogue.module_create, name="module_new"),
    path("products/<int:pk>/versions/new/", catalogue.version_create, name="version_new"),
    path("modules/<int:pk>/", catalogue.module_detail, name="module_detail"),
    path("modules/<int:pk>/edit/", catalogue.module_edit, name="module_edit"),
    path("modules/<int:pk>/features/new/", catalogue.feature_create, name="feature_new"),
    path("modules/<int:pk>/prices/new/", catalogue.price_create, name="price_new"),
    path("features/<int:pk>/edit/", catalogue.feature_edit, name="feature_edit"),
    path("versions/<int:pk>/edit/", catalogue.version_edit, name="version_edit"),
    path("catalogue/<slug:kind>/<int:pk>/retire/", catalogue.catalogue_retire, name="catalogue_retire"),
    path("catalogue/<slug:kind>/<int:pk>/unretire/", catalogue.catalogue_retire, {"retire": False},
         name="catalogue_unretire"),  # fmt: skip
    # sales settings (views/settings.py)
    path("settings/areas/", sales_settings.area_list, name="settings_areas"),
    path("settings/areas/<int:pk>/edit/", sales_settings.area_edit, name="settings_area_edit"),
    path("settings/areas/<int:pk>/move/", sales_settings.area_move, name="settings_area_move"),
    path("settings/areas/<int:pk>/active/", sales_settings.area_active, name="settings_area_active"),
    path("settings/requirement-templates/", sales_settings.template_list, name="settings_templates"),
    path("settings/requirement-templates/new/", sales_settings.template_edit, name="settings_template_new"),
    path("settings/requirement-templates/<int:pk>/", sales_settings.template_edit, name="settings_template_edit"),
    path("settings/pipelines/", sales_settings.pipeline_list, name="settings_pipelines"),
    path("settings/pipelines/<int:pk>/", sales_settings.pipeline_detail, name="settings_pipeline"),
    path("settings/pipelines/<int:pk>/stages/new/", sales_settings.stage_create, name="settings_stage_new"),
    path("settings/stages/<int:pk>/", sales_settings.stage_edit, name="settings_stage_edit"),
    path("settings/pipelines/<int:pk>/moves/", sales_settings.pipeline_moves, name="settings_pipeline_moves"),
    path("settings/milestone-templates/", sales_settings.milestone_list, name="settings_milestones"),
    path("settings/milestone-templates/new/", sales_settings.milestone_edit, name="settings_milestone_new"),
    path("settings/milestone-templates/<int:pk>/", sales_settings.milestone_edit, name="settings_milestone_edit"),
    path("settings/milestone-templates/<int:pk>/delete/", sales_settings.milestone_delete,
         name="settings_milestone_delete"),  # fmt: skip
    path("settings/discount-limits/", sales_settings.discount_limits, name="settings_discounts"),
    # --- recommendation and pricing (views/recommendation.py, views/pricing.py) ---
    path("opportunities/<int:pk>/recommendation/", recommendation_views.recommendation_page, name="recommendation"),
    path("opportunities/<int:pk>/recommendation/quote/", recommendation_views.recommendation_quote,
         name="recommendation_quote"),  # fmt: skip
    path("pricing/", pricing_views.price_history_page, name="price_history"),
    # --- quotes and approvals (views/quotes.py) ---
    path("quotes/", quote_views.quote_list, name="quotes"),
    path("opportunities/<int:opportunity_pk>/quotes/new/", quote_views.quote_create, name="quote_new"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/heading/", quote_views.quote_heading, name="quote_heading"),
    path("quotes/<int:pk>/lines/", quote_views.line_add, name="quote_line_add"),
    path("quotes/<int:pk>/lines/<int:line_pk>/", quote_views.line_edit, name="quote_line_edit"),
    path("quotes/<int:pk>/lines/<int:line_pk>/remove/", quote_views.line_remove, name="quote_line_remove"),
    path("quotes/<int:pk>/submit/", quote_views.quote_submit, name="quote_submit"),
    path("quotes/<int:pk>/withdraw/", quote_views.quote_withdraw, name="quote_withdraw"),
    path("quotes/<int:pk>/decide/", quote_views.approval_decide, name="quote_decide"),
    path("quotes/<int:pk>/send/", quote_views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quote_views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", quote_views.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/revise/", quote_views.quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/pdf/", quote_views.quote_pdf_download, name="quote_pdf"),
    path("approvals/", quote_views.approval_inbox, name="approvals"),
    # --- contracts (views/contracts.py) ---
    path("contracts/", contract_views.contract_list, name="contracts"),
    path("contracts/export/", contract_views.contract_export, name="contract_export"),
    path("quotes/<int:quote_pk>/contract/new/", contract_views.contract_create, name="contract_new"),
    path("contracts/<int:pk>/", contract_views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/heading/", contract_views.contract_heading, name="contract_heading"),
    path("contracts/<int:pk>/milestones/", contract_views.contract_milestones, name="contract_milestones"),
    path("contracts/<int:pk>/confirm/", contract_views.contract_confirm, name="contract_confirm"),
    path("contracts/<int:pk>/complete/", contract_views.contract_complete, name="contract_complete"),
    path("contracts/<int:pk>/terminate/", contract_views.contract_terminate, name="contract_terminate"),
    path("contracts/<int:pk>/documents/", contract_views.document_add, name="contract_document_add"),
    path("contracts/<int:pk>/documents/<int:document_pk>/", contract_views.document_download,
         name="contract_document"),  # fmt: skip
    # --- forecast and sales reports (views/reports.py) ---
    path("forecast/", report_views.forecast, name="forecast"),
    path("forecast/export/", report_views.forecast_export, name="forecast_export"),
    path("reports/", report_views.sales_reports, name="reports"),
    path("reports/export/", report_views.sales_reports_export, name="reports_export"),
]
