"""The service API. Each module lists its viewsets in ROUTES and its plain views in PATHS."""

from touchpoint.service.api import maintenance, records, requests

ROUTES = [*requests.ROUTES, *records.ROUTES, *maintenance.ROUTES]
PATHS = [*requests.PATHS, *records.PATHS, *maintenance.PATHS]
