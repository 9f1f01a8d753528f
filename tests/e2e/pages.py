"""Helpers the journeys share: signing in, reading the compiled catalog."""

from django.utils import translation
from playwright.sync_api import Page

from touchpoint.testing import PASSWORD


def log_in(page: Page, username: str) -> None:
    """Sign in through the allauth form and wait until the workspace has loaded."""
    page.goto("/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=login]"))
    form.locator("input[name=login]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: url.endswith("/") and "/accounts/" not in url)


def translated(message: str, language: str = "zh-hans") -> str:
    """The compiled catalog's translation of `message`, so tests never hard-code UI labels."""
    with translation.override(language):
        return translation.gettext(message)
