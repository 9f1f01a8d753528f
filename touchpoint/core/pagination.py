"""Pagination for large lists: count only as far as the reader can go, not the whole table."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most a little beyond the requested page (and at least COUNT_CAP rows).

    With 100,000 customers an exact COUNT(*) costs more than the page itself; "10,000+" tells the
    reader as much, and every page up to the one asked for (and ten beyond) stays reachable.
    """

    object_list: QuerySet

    def __init__(self, object_list: QuerySet, per_page: int, *, page: Any = 1, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        wanted = int(page) if str(page).isdecimal() else 1
        self.limit = max(cap, (min(wanted, 100_000) + 10) * per_page)
        self.capped = False

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[: self.limit + 1].count()
        self.capped = counted > self.limit
        return min(counted, self.limit)

    def page(self, number: Any) -> Page:
        """Find the page's ids first (an index-only walk past the offset), then load just those rows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return Page(rows, number, self)
