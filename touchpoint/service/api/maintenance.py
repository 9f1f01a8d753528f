from typing import Any

from django.urls import URLPattern

# (prefix, viewset, basename) for the router, and plain API views.
ROUTES: list[tuple[str, Any, str]] = []
PATHS: list[URLPattern] = []
