"""Log-scale histograms of durations, so that a median over any period comes from summed daily buckets.

Bucket 0 holds durations under a minute. Bucket i ≥ 1 holds [60 · 2^((i−1)/4), 60 · 2^(i/4)) seconds:
four buckets per doubling, up to about twenty years in the last one. A bucket stands for its
geometric middle, which is within 2^(1/8) − 1 ≈ 9.05 % of anything in the bucket; so the median
read from the buckets is within 9.1 % of the exact median (for medians of a minute or more; under
a minute it is within 30 seconds).
"""

import math
from collections.abc import Iterable, Mapping

from django.db.models import Case, ExpressionWrapper, F, FloatField, IntegerField, Value, When
from django.db.models.functions import Floor, Greatest, Least, Ln

PER_DOUBLING = 4
FIRST = 60  # seconds: the upper edge of bucket 0
BUCKETS = 96
RELATIVE_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1  # ≈ 0.0905
ABSOLUTE_ERROR_UNDER_A_MINUTE = 30

Buckets = dict[str, int]


def bucket_of(seconds: float) -> int:
    if seconds < FIRST:
        return 0
    return min(BUCKETS - 1, math.floor(PER_DOUBLING * math.log2(seconds / FIRST)) + 1)


def bucket_expression(name: str) -> Case:
    """The same bucket of the annotation or column `name`, worked out by the database (Ln and Floor on
    PostgreSQL and SQLite alike)."""
    ratio = ExpressionWrapper(F(name) / Value(float(FIRST)), output_field=FloatField())
    raw = Floor(ExpressionWrapper(Value(PER_DOUBLING / math.log(2)) * Ln(ratio), output_field=FloatField())) + Value(1)
    return Case(
        When(**{f"{name}__lt": FIRST}, then=Value(0)),
        # At least 1: rounding must not push a minute or more into bucket 0.
        default=Least(Greatest(raw, Value(1)), Value(BUCKETS - 1)),
        output_field=IntegerField(),
    )


def middle(bucket: int) -> float:
    """The value a bucket stands for: the geometric middle of its edges."""
    if bucket <= 0:
        return FIRST / 2
    return FIRST * 2 ** ((bucket - 0.5) / PER_DOUBLING)


def add(total: Buckets, more: Mapping[str, int] | Mapping[int, int]) -> Buckets:
    for key, count in more.items():
        total[str(int(key))] = total.get(str(int(key)), 0) + int(count)
    return total


def merged(histograms: Iterable[Mapping[str, int]]) -> Buckets:
    total: Buckets = {}
    for one in histograms:
        add(total, one)
    return total


def quantile(buckets: Mapping[str, int], share: float = 0.5) -> float | None:
    """The duration at `share` (0.5: the median) of a histogram, in seconds; None when it is empty.

    For the median of an even count the two middle values are averaged, as the exact median does."""
    counts = sorted((int(key), count) for key, count in buckets.items() if count > 0)
    total = sum(count for _bucket, count in counts)
    if not total:
        return None
    position = share * (total - 1)  # 0-based rank, fractional between two values
    low_rank, high_rank = math.floor(position), math.ceil(position)

    def at_rank(rank: int) -> float:
        seen = 0
        for bucket, count in counts:
            seen += count
            if rank < seen:
                return middle(bucket)
        return middle(counts[-1][0])

    low, high = at_rank(low_rank), at_rank(high_rank)
    return low + (high - low) * (position - low_rank)
