"""Fixtures of the page permission matrix, shared by the apps' test_page_permissions modules."""

import pytest

from touchpoint.testing_matrix import world_once


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One data set per test module, rolled back at its end; each test runs in a savepoint on top."""
    yield from world_once(django_db_blocker, str(tmp_path_factory.mktemp("media")))


@pytest.fixture
def w(world, db, settings):
    settings.MEDIA_ROOT = world.media_root
    return world


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: counts kept for a minute (a queue's loads, the flow board)
    must not carry over from another test's data."""
    from django.core.cache import cache

    cache.clear()
