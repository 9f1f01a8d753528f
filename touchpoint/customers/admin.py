"""Read-mostly admin views of customers; every change goes through the pages and their services."""

from django.contrib import admin

from touchpoint.customers.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
