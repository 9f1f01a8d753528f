from typing import Any

from django.http import HttpRequest

from touchpoint.core.extensions import nav_items
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
    # The unread count is a callable: fragments that never show the navbar cost no query.
    return {
        "nav": [item for item in shown if item.group == "main"],
        "settings_nav": [item for item in shown if item.group == "settings"],
        "unread_notifications": unread,
    }
