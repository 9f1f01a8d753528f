"""Registered in AppConfig.ready()."""
