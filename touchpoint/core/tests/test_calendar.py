"""Business time: statutory holidays, make-up days, overrides, round the clock, and the arithmetic's laws."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.core.calendar import (
    CALENDAR_CHANGED,
    Schedule,
    calendar_day_clear,
    calendar_day_set,
    calendar_update,
    schedule_of,
    uncovered_years,
)
from touchpoint.core.models import BusinessCalendar, Event

SH = ZoneInfo("Asia/Shanghai")
WORKDAYS = Schedule()
HOUR = 3600
DAY = int(8.5 * HOUR)  # 8:30–17:00


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


def test_a_plain_working_day_counts_its_opening_hours_only():
    assert WORKDAYS.business_seconds(at(2026, 3, 2, 0, 0), at(2026, 3, 3, 0, 0)) == DAY
    assert WORKDAYS.business_seconds(at(2026, 3, 2, 16, 0), at(2026, 3, 3, 9, 30)) == 2 * HOUR


def test_the_weekend_is_closed_and_the_clock_resumes_on_monday():
    assert WORKDAYS.business_seconds(at(2026, 3, 6, 16, 0), at(2026, 3, 9, 9, 30)) == 2 * HOUR
    assert WORKDAYS.add_business(at(2026, 3, 6, 16, 0), 2 * HOUR) == at(2026, 3, 9, 9, 30)


def test_a_request_spanning_the_spring_festival_waits_out_the_holiday():
    # 2026: Saturday 14 February is a make-up working day, 15–23 February are the holiday.
    friday = at(2026, 2, 13, 16, 0)
    assert WORKDAYS.add_business(friday, 2 * HOUR) == at(2026, 2, 14, 9, 30)
    assert WORKDAYS.add_business(friday, HOUR + DAY + HOUR) == at(2026, 2, 24, 9, 30)
    assert WORKDAYS.business_seconds(at(2026, 2, 15, 0, 0), at(2026, 2, 24, 0, 0)) == 0


def test_a_trading_calendar_does_not_work_make_up_saturdays():
    trading = Schedule(makeup_days=False)
    assert trading.business_seconds(at(2026, 2, 14, 0, 0), at(2026, 2, 15, 0, 0)) == 0
    assert WORKDAYS.business_seconds(at(2026, 2, 14, 0, 0), at(2026, 2, 15, 0, 0)) == DAY


def test_round_the_clock_counts_every_second_holidays_included():
    always = Schedule(round_the_clock=True)
    assert always.business_seconds(at(2026, 2, 15, 0, 0), at(2026, 2, 17, 6, 0)) == 54 * HOUR
    assert always.add_business(at(2026, 2, 15, 23, 0), 2 * HOUR) == at(2026, 2, 16, 1, 0)


def test_a_year_without_statutory_data_falls_back_to_weekdays_and_is_reported(db):
    assert WORKDAYS.business_seconds(at(2027, 2, 8, 0, 0), at(2027, 2, 15, 0, 0)) == 5 * DAY
    calendar = BusinessCalendar.objects.get(code="workdays")
    assert uncovered_years(calendar, range(2026, 2028)) == [2027]
    calendar_day_set(calendar=calendar, by=None, day=date(2027, 1, 1), working=False, note="元旦")
    assert uncovered_years(calendar, range(2026, 2028)) == []
    assert uncovered_years(BusinessCalendar.objects.get(code="always"), range(2026, 2028)) == []


def test_an_override_closes_opens_or_reshapes_a_day_and_is_read_fresh(db, personas):
    calendar = BusinessCalendar.objects.get(code="workdays")
    before = schedule_of(calendar)
    calendar_day_set(calendar=calendar, by=personas.admin, day=date(2026, 3, 2), working=False, note="系统割接")
    calendar_day_set(calendar=calendar, by=personas.admin, day=date(2026, 3, 7), working=True)
    calendar_day_set(calendar=calendar, by=personas.admin, day=date(2026, 3, 3), working=True, opens_at=time(9, 0),
                     closes_at=time(12, 0))  # fmt: skip
    after = schedule_of(calendar)
    assert before.business_seconds(at(2026, 3, 2), at(2026, 3, 9)) == 5 * DAY
    assert after.business_seconds(at(2026, 3, 2), at(2026, 3, 9)) == 3 * DAY + 3 * HOUR + DAY
    assert Event.objects.filter(verb=CALENDAR_CHANGED, target_id=calendar.pk).count() == 3
    calendar_day_clear(calendar=calendar, by=personas.admin, day=date(2026, 3, 2))
    assert schedule_of(calendar).business_seconds(at(2026, 3, 2), at(2026, 3, 3)) == DAY


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"working": False, "opens_at": time(9), "closes_at": time(12)}, "opens_at"),
    ({"working": True, "opens_at": time(12), "closes_at": time(9)}, "closes_at"),
    ({"working": True, "opens_at": time(9)}, "closes_at"),
])  # fmt: skip
def test_a_nonsensical_day_override_is_refused_on_its_field_and_nothing_changes(db, personas, kwargs, field):
    calendar = BusinessCalendar.objects.get(code="workdays")
    version = calendar.version
    with pytest.raises(ValidationError) as refused:
        calendar_day_set(calendar=calendar, by=personas.admin, day=date(2026, 3, 2), **kwargs)
    assert field in refused.value.message_dict
    calendar.refresh_from_db()
    assert calendar.version == version and not calendar.days.exists()


def test_calendar_hours_must_close_after_they_open(db, personas):
    calendar = BusinessCalendar.objects.get(code="workdays")
    with pytest.raises(ValidationError) as refused:
        calendar_update(calendar=calendar, by=personas.admin, opens_at=time(17), closes_at=time(8, 30),
                        round_the_clock=False, statutory=True, makeup_days=True)  # fmt: skip
    assert "closes_at" in refused.value.message_dict
    calendar.refresh_from_db()
    assert calendar.opens_at == time(8, 30)


def test_a_calendar_closed_for_good_gives_no_deadline():
    closed = Schedule(statutory=False, overrides={date(2026, 1, 1) + timedelta(days=n): Schedule().hours(date(2026, 1, 3))
                                                  for n in range(3 * 366 + 5)})  # fmt: skip
    assert closed.add_business(at(2026, 1, 1), HOUR) is None


instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 3, 1), timezones=st.just(SH))
schedules = st.sampled_from([WORKDAYS, Schedule(makeup_days=False), Schedule(round_the_clock=True),
                             Schedule(opens=time(0, 0), closes=time(23, 59, 59), statutory=False)])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(schedule=schedules, start=instants, seconds=st.integers(min_value=1, max_value=40 * DAY))
def test_adding_business_time_then_measuring_it_gives_it_back(schedule, start, seconds):
    start = start.replace(microsecond=0)
    end = schedule.add_business(start, seconds)
    assert end is not None and end > start
    assert schedule.business_seconds(start, end) == seconds
    # The deadline is the first instant that much open time is reached: a second earlier it is not.
    assert schedule.business_seconds(start, end - timedelta(seconds=1)) == seconds - 1


@settings(max_examples=200, deadline=None)
@given(schedule=schedules, a=instants, b=instants, c=instants)
def test_business_time_adds_up_over_consecutive_intervals(schedule, a, b, c):
    a, b, c = sorted(x.replace(microsecond=0) for x in (a, b, c))
    assert schedule.business_seconds(a, b) + schedule.business_seconds(b, c) == schedule.business_seconds(a, c)
    assert 0 <= schedule.business_seconds(a, c) <= (c - a).total_seconds()
