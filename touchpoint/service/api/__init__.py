"""The service API. Each module lists its viewsets in ROUTES and its plain views in PATHS."""

from touchpoint.service.api import mail, maintenance, records, requests

ROUTES = [*requests.ROUTES, *records.ROUTES, *maintenance.ROUTES, *mail.ROUTES]
PATHS = [*requests.PATHS, *records.PATHS, *maintenance.PATHS, *mail.PATHS]
