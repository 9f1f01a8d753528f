"""The delivery API, one module per area; `touchpoint/api_urls.py` registers the views."""
