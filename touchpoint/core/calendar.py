"""Business time: which hours of which days count, and how much of it lies between two instants.

A calendar has daily opening hours (the maintenance centre's trading-day hours, 8:30–17:00 by
default) or runs round the clock. Which days are working days follows the Chinese statutory
holidays and make-up working days (调休) from chinesecalendar; a year it has no data for falls back
to Monday–Friday and is reported by `uncovered_years` so that an admin adds that year's days by
hand. An admin's override of a single day (closed, open, other hours) always wins.

The arithmetic works on a `Schedule`, a plain snapshot of a calendar and its overrides, so that a
run over many requests reads the calendar once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import BusinessCalendar, CalendarDay, EventKind

# Beyond this many days without an open hour, `add_business` gives up: the calendar is closed for good.
LOOKAHEAD_DAYS = 3 * 366
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class DayHours:
    """One day's opening, as seconds after local midnight; closed when `opens >= closes`."""

    opens: int
    closes: int

    @property
    def seconds(self) -> int:
        return max(0, self.closes - self.opens)


CLOSED = DayHours(0, 0)
ALL_DAY = DayHours(0, DAY_SECONDS)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@lru_cache(maxsize=4096)
def statutory_workday(day: date, makeup_days: bool = True) -> bool:
    """Whether `day` is a working day by the State Council's schedule (Monday–Friday where unknown).

    Without make-up days, a weekend stays closed even when it is a make-up working day (the
    exchanges do not trade on 调休 Saturdays)."""
    try:
        if makeup_days:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and not chinese_calendar.is_holiday(day)
    except NotImplementedError:
        return day.weekday() < 5


def statutory_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class Schedule:
    """A calendar's rules, frozen: daily hours, round the clock or not, and day overrides."""

    opens: time = time(8, 30)
    closes: time = time(17, 0)
    round_the_clock: bool = False
    statutory: bool = True
    makeup_days: bool = True
    zone: str = "Asia/Shanghai"
    overrides: dict[date, DayHours] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def hours(self, day: date) -> DayHours:
        override = self.overrides.get(day)
        if override is not None:
            return override
        if self.round_the_clock:
            return ALL_DAY
        if self.statutory:
            working = statutory_workday(day, self.makeup_days)
        else:
            working = day.weekday() < 5
        return DayHours(_seconds(self.opens), _seconds(self.closes)) if working else CLOSED

    def _local(self, moment: datetime) -> tuple[date, int]:
        local = moment.astimezone(self.tz)
        return local.date(), local.hour * 3600 + local.minute * 60 + local.second

    def _instant(self, day: date, seconds: int) -> datetime:
        # Shanghai has no daylight saving; other zones resolve through the aware midnight.
        midnight = datetime.combine(day, time.min, tzinfo=self.tz)
        return midnight + timedelta(seconds=seconds)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Open seconds in [start, end); zero when end is not after start."""
        if end <= start:
            return 0
        first_day, first_offset = self._local(start)
        last_day, last_offset = self._local(end)
        total = 0
        day = first_day
        while day <= last_day:
            hours = self.hours(day)
            if hours.seconds:
                low = max(hours.opens, first_offset if day == first_day else 0)
                high = min(hours.closes, last_offset if day == last_day else DAY_SECONDS)
                total += max(0, high - low)
            day += timedelta(days=1)
        return total

    def add_business(self, start: datetime, seconds: int) -> datetime | None:
        """The instant `seconds` of open time after `start`; None when the calendar never opens again."""
        day, offset = self._local(start)
        remaining = max(0, int(seconds))
        for _step in range(LOOKAHEAD_DAYS):
            hours = self.hours(day)
            if hours.seconds:
                begin = max(hours.opens, offset)
                available = max(0, hours.closes - begin)
                if remaining == 0 and available > 0:
                    return self._instant(day, begin)
                if remaining <= available and remaining > 0:
                    return self._instant(day, begin + remaining)
                remaining -= available
            day += timedelta(days=1)
            offset = 0
        return None

    def is_open(self, moment: datetime) -> bool:
        day, offset = self._local(moment)
        hours = self.hours(day)
        return hours.opens <= offset < hours.closes

    def working_days(self, first: date, last: date) -> list[date]:
        days, day = [], first
        while day <= last:
            if self.hours(day).seconds:
                days.append(day)
            day += timedelta(days=1)
        return days


def schedule_of(calendar: BusinessCalendar) -> Schedule:
    """The schedule of a `BusinessCalendar` row with its day overrides (one query)."""
    return _cached_schedule(calendar.pk, calendar.version)


@lru_cache(maxsize=64)
def _cached_schedule(calendar_id: int, version: int) -> Schedule:
    # Keyed by the version every change bumps, so a stale entry is never read again.
    calendar = BusinessCalendar.objects.get(pk=calendar_id)
    overrides = {
        row.day: DayHours(_seconds(row.opens_at), _seconds(row.closes_at)) if row.working and row.opens_at and row.closes_at
        else (DayHours(_seconds(calendar.opens_at), _seconds(calendar.closes_at)) if row.working and not calendar.round_the_clock
              else (ALL_DAY if row.working else CLOSED))
        for row in calendar.days.all()
    }  # fmt: skip
    return Schedule(
        opens=calendar.opens_at, closes=calendar.closes_at, round_the_clock=calendar.round_the_clock,
        statutory=calendar.statutory, makeup_days=calendar.makeup_days, overrides=overrides,
    )  # fmt: skip


def uncovered_years(calendar: Any, years: range) -> list[int]:
    """Years the statutory data does not cover and the admin has not filled in by hand (no override)."""
    if not calendar.statutory or calendar.round_the_clock:
        return []
    filled = set(calendar.days.values_list("day__year", flat=True).distinct())
    return [year for year in years if not statutory_covers(year) and year not in filled]


# Writes. The calendar pages of the service settings and the API call these.

CALENDAR_CHANGED = event_type("calendar.changed", kind=EventKind.SYSTEM, label=gettext_lazy("Business calendar changed"))


def _changed(calendar: Any, by: Any, **details: Any) -> None:
    BusinessCalendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)
    calendar.refresh_from_db(fields=["version"])
    event_record(verb=CALENDAR_CHANGED, actor=by, target=calendar, payload={"calendar": calendar.code, **details})


def calendar_update(*, calendar: Any, by: Any, opens_at: time, closes_at: time, round_the_clock: bool, statutory: bool,
                    makeup_days: bool) -> Any:  # fmt: skip
    if not round_the_clock and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})
    with transaction.atomic():
        calendar.opens_at, calendar.closes_at = opens_at, closes_at
        calendar.round_the_clock, calendar.statutory, calendar.makeup_days = round_the_clock, statutory, makeup_days
        calendar.save(update_fields=["opens_at", "closes_at", "round_the_clock", "statutory", "makeup_days"])
        _changed(calendar, by, hours=f"{opens_at:%H:%M}-{closes_at:%H:%M}", round_the_clock=round_the_clock)
    return calendar


def calendar_day_set(*, calendar: Any, by: Any, day: date, working: bool, opens_at: time | None = None,
                     closes_at: time | None = None, note: str = "") -> Any:  # fmt: skip
    """Override one day: closed, open at the calendar's hours, or open at other hours."""
    if (opens_at is None) != (closes_at is None):
        raise ValidationError({"closes_at": _("Give both the opening and the closing time, or neither.")})
    if opens_at is not None and closes_at is not None:
        if not working:
            raise ValidationError({"opens_at": _("A closed day has no opening hours.")})
        if closes_at <= opens_at:
            raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})
    with transaction.atomic():
        row, _new = CalendarDay.objects.update_or_create(
            calendar=calendar, day=day,
            defaults={"working": working, "opens_at": opens_at, "closes_at": closes_at, "note": (note or "").strip()[:80]},
        )  # fmt: skip
        _changed(calendar, by, day=day.isoformat(), working=working)
    return row


def calendar_day_clear(*, calendar: Any, by: Any, day: date) -> None:

    with transaction.atomic():
        if calendar.days.filter(day=day).delete()[0]:
            _changed(calendar, by, day=day.isoformat(), cleared=True)
