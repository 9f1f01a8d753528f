from django.urls import path

from touchpoint.customers import contact_views, views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/new/", views.customer_create, name="new"),
    path("customers/export/", views.customer_export, name="export"),
    path("customers/reassign/", views.customer_reassign, name="reassign"),
    path("customers/filters/", views.saved_filter_create, name="saved_filter"),
    path("customers/filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="edit"),
    path("customers/<int:pk>/team/", views.customer_team, name="team"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="merge"),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("customers/<int:pk>/history/", views.customer_history, name="history"),
    path("customers/<int:pk>/delete/", views.customer_delete, name="delete"),
    path("customers/<int:pk>/restore/", views.customer_restore, name="restore"),
    path("customers/<int:customer_pk>/contacts/new/", contact_views.contact_create, name="contact_new"),
    path("contacts/", contact_views.contact_list, name="contacts"),
    path("contacts/export/", contact_views.contact_export, name="contact_export"),
    path("contacts/<int:pk>/", contact_views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/merge/", contact_views.contact_merge, name="contact_merge"),
    path("contacts/<int:pk>/history/", contact_views.contact_history, name="contact_history"),
    path("contacts/<int:pk>/delete/", contact_views.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/restore/", contact_views.contact_restore, name="contact_restore"),
    path("search/", contact_views.search, name="search"),
]
