from typing import Any

from django.http import HttpRequest

from touchpoint.core.extensions import NavItem, nav_items, nav_menus
from touchpoint.core.models import Notification


def shell(request: HttpRequest) -> dict[str, Any]:
    """The navigation of the UI shell and the unread count, for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = sorted(nav_items.values(), key=lambda item: (item.order, item.key))

    def unread() -> int:
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    shown = [item for item in items if item.visible(user)]
    main = [item for item in shown if item.group == "main"]
    # The unread count is a callable: fragments that never show the navbar cost no query.
    return {
        "nav": main,
        "nav_bar": _bar(main),
        "settings_nav": [item for item in shown if item.group == "settings"],
        "unread_notifications": unread,
    }


def _bar(items: list[NavItem]) -> list[dict[str, Any]]:
    """The top bar: plain links, and each menu's items gathered into one drop-down at the menu's place."""
    entries: list[dict[str, Any]] = []
    menus: dict[str, dict[str, Any]] = {}
    for item in items:
        menu = nav_menus.get(item.menu) if item.menu else None
        if menu is None:
            entries.append({"order": item.order, "item": item})
        elif menu.key in menus:
            menus[menu.key]["items"].append(item)
        else:
            menus[menu.key] = {"order": menu.order, "menu": menu, "items": [item]}
            entries.append(menus[menu.key])
    return sorted(entries, key=lambda entry: entry["order"])
