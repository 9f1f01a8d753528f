"""Portal fixtures: the customer users of customers A and B on top of the shared personas, and the
portal world (one of every record per customer) built once per test module."""

import pytest

from touchpoint.portal.tests.world import world_once
from touchpoint.testing import PortalPersonas, make_portal_personas


@pytest.fixture
def portal(personas) -> PortalPersonas:
    return make_portal_personas(personas)


@pytest.fixture(scope="module")
def portal_world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from world_once(django_db_blocker, str(tmp_path_factory.mktemp("media")))


@pytest.fixture
def w(portal_world, db, settings):
    settings.MEDIA_ROOT = portal_world.media_root
    return portal_world
