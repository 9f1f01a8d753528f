"""Shared test fixtures: the personas every permission test uses."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

import pytest  # noqa: E402

from touchpoint.testing import Personas, make_personas  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_environment(settings, tmp_path, django_db_blocker):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    # A request through the test client activates its language on this thread and leaves it so; each
    # test starts from the project's own language instead of the one the previous test asked for.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
    cache.clear()


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()
