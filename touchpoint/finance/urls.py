from django.urls import path

from touchpoint.finance.views import credit, invoices, receipts, reports, settings

app_name = "finance"

urlpatterns = [
    path("invoice-requests/", invoices.invoice_requests, name="invoice_requests"),
    path("invoice-requests/<int:milestone_pk>/issue/", invoices.invoice_issue, name="invoice_issue"),
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/export/", invoices.invoice_export, name="invoice_export"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/credit-note/", invoices.credit_note, name="credit_note"),
    path("invoices/<int:pk>/dispute/", invoices.invoice_dispute, name="invoice_dispute"),
    path("invoices/<int:pk>/tax-number/", invoices.invoice_tax_number, name="invoice_tax_number"),
    path("receipts/", receipts.receipt_list, name="receipts"),
    path("receipts/export/", receipts.receipt_export, name="receipt_export"),
    path("receipts/new/", receipts.receipt_new, name="receipt_new"),
    path("receipts/<int:pk>/", receipts.receipt_detail, name="receipt_detail"),
    path("receipts/<int:pk>/allocate/", receipts.receipt_allocate, name="receipt_allocate"),
    path("receipts/<int:pk>/allocate-oldest/", receipts.receipt_allocate_oldest, name="receipt_allocate_oldest"),
    path("receipts/<int:pk>/reverse/", receipts.receipt_reverse, name="receipt_reverse"),
    path("allocations/<int:pk>/reverse/", receipts.allocation_reverse, name="allocation_reverse"),
    path("credit/", credit.credit_list, name="credit_list"),
    path("credit/<int:pk>/", credit.credit_profile_redirect, name="credit_profile"),
    path("customers/<int:pk>/", credit.customer_finance, name="customer"),
    path("customers/<int:pk>/terms/", credit.credit_terms, name="credit_terms"),
    path("customers/<int:pk>/rating/", credit.credit_rating, name="credit_rating"),
    path("customers/<int:pk>/flags/<slug:flag>/", credit.credit_flag, name="credit_flag"),
    path("customers/<int:pk>/plan/", reports.customer_plan, name="customer_plan"),
    path("contracts/<int:pk>/plan/", reports.contract_plan, name="contract_plan"),
    path("contracts/<int:pk>/override/", credit.contract_override, name="contract_override"),
    path("quotes/<int:pk>/override/", credit.quote_override, name="quote_override"),
    path("ageing/", reports.ageing, name="ageing"),
    path("collections/", reports.collections, name="collections"),
    path("dunning/letters/", credit.letter_list, name="letters"),
    path("dunning/letters/<int:pk>/", credit.letter_detail, name="letter_detail"),
    path("settings/credit-policy/", settings.credit_policy, name="settings_policy"),
    path("settings/dunning/", settings.dunning_levels, name="settings_dunning"),
    path("settings/dunning/new/", settings.dunning_level_edit, name="settings_dunning_new"),
    path("settings/dunning/<int:pk>/", settings.dunning_level_edit, name="settings_dunning_level"),
]
