from django.urls import URLPattern

PATHS: list[URLPattern] = []
