"""Maintenance centre pages: each module declares its own routes, gathered in service/urls.py."""
