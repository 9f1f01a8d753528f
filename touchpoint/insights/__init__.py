"""Rollups, management dashboards and service reports."""
