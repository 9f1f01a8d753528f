from typing import Any

from django.http import HttpRequest

from touchpoint.core.extensions import nav_items


def shell(request: HttpRequest) -> dict[str, Any]:
    """The navigation of the UI shell, filtered for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = sorted(nav_items.values(), key=lambda item: (item.order, item.key))
    return {"nav": [item for item in items if item.visible(user)]}
