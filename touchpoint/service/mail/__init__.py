"""Inbound and outbound service mail."""
