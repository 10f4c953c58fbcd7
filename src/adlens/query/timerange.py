"""Time in queries: granularities, time zones, date ranges (absolute and relative), compare.

Rules (DESIGN.md section 3):

- A range is half-open ``[start, end)`` in the query's time zone. A bound written as a
  date (``2024-01-31``) is a local calendar day; an end date is inclusive (the whole day
  counts, as in Cube's ``dateRange``). A bound with a time but no offset is local wall
  time; with ``Z`` or an offset it is an instant. An end with a time is inclusive at the
  precision it is written in: ``...T23:59:59Z`` includes that whole second, so it ends
  where the next day starts.
- A row counts in a range only when the range covers the row's whole period: an hour row
  (an instant in UTC) its hour, a day row its calendar day (by its ``date``, never shifted
  by a time-zone conversion), a range row its ``period_start..period_end``.
- Relative ranges resolve against ``now`` in the query's zone: ``today``, ``yesterday``,
  ``this week|month|quarter|year`` (the whole unit), ``last week|month|quarter|year`` (the
  previous whole unit), ``last N minutes|hours|days|weeks|months|quarters|years`` (the N
  whole units before the current one, which is left out, as ad platforms do), and
  ``from <date> to <date>``. Weeks start on Monday (ISO) unless the query's ``weekStart``
  names another day (``sunday`` for Sunday-to-Saturday weeks, as US reports count them):
  then week buckets and ``this|last week``, ``last N weeks`` start on that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adlens.query.errors import QueryError, did_you_mean

Compare = Literal["previous_period", "same_period_last_year"]
COMPARES: tuple[Compare, ...] = ("previous_period", "same_period_last_year")


@dataclass(frozen=True)
class Granularity:
    """A time bucket size. ``name`` is the suffix of the result key (``ts.<name>``)."""

    name: str
    seconds: int
    unit: str  # the date_trunc unit
    step: int = 1  # minutes per bucket for 5m / 15m

    @property
    def sub_day(self) -> bool:
        """Shorter than a day (buckets of wall-clock time rather than of dates)."""
        return self.seconds < 86400


GRANULARITIES: dict[str, Granularity] = {
    g.name: g
    for g in (
        Granularity("minute", 60, "MINUTE"),
        Granularity("5m", 300, "MINUTE", 5),
        Granularity("15m", 900, "MINUTE", 15),
        Granularity("hour", 3600, "HOUR"),
        Granularity("day", 86400, "DAY"),
        Granularity("week", 7 * 86400, "WEEK"),
        Granularity("month", 30 * 86400, "MONTH"),
        Granularity("quarter", 90 * 86400, "QUARTER"),
        Granularity("year", 365 * 86400, "YEAR"),
    )
}
GRANULARITY_ALIASES = {"1m": "minute", "1h": "hour", "1d": "day", "1w": "week"}
# The original spec gives granularity in seconds; months, quarters and years as 30, 90 and
# 365 days.
GRANULARITY_SECONDS = {g.seconds: g for g in GRANULARITIES.values()}
# How long a stored row of each grain lasts: a row is answered only by buckets at least as
# long (a day row is never split into hours).
GRAIN_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def granularity(value: object, *, where: str = "granularity") -> Granularity:
    """The granularity a request names, by name (``day``, ``5m``) or seconds (``3600``).

    >>> granularity("1h").name, granularity(604800).name, granularity("day").name
    ('hour', 'week', 'day')
    """
    if isinstance(value, bool):
        pass
    elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        seconds = int(value)
        if seconds in GRANULARITY_SECONDS:
            return GRANULARITY_SECONDS[seconds]
        allowed = ", ".join(f"{s} ({g.name})" for s, g in GRANULARITY_SECONDS.items())
        raise QueryError(
            f"granularity {seconds} seconds is not supported; use one of {allowed}",
            where={"field": where},
        )
    elif isinstance(value, str):
        name = GRANULARITY_ALIASES.get(value.strip().lower(), value.strip().lower())
        if name in GRANULARITIES:
            return GRANULARITIES[name]
        hint = did_you_mean(name, [*GRANULARITIES, *GRANULARITY_ALIASES])
        raise QueryError(
            f"unknown granularity {value!r}.{hint} Use one of "
            f"{', '.join([*GRANULARITIES, *GRANULARITY_ALIASES])}",
            where={"field": where},
        )
    raise QueryError(
        f"granularity must be a name or seconds, not {value!r}", where={"field": where}
    )


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def week_start(value: object) -> int:
    """The weekday a request's ``weekStart`` names (0 = Monday, the default, ... 6 = Sunday).

    >>> week_start(None), week_start("Sunday"), week_start("sun")
    (0, 6, 6)
    """
    if value is None:
        return 0
    if isinstance(value, str):
        name = value.strip().lower()
        for index, day in enumerate(WEEKDAYS):
            if name in (day, day[:3]):
                return index
    hint = did_you_mean(str(value), WEEKDAYS)
    raise QueryError(
        f"weekStart {value!r} is not a day of the week.{hint} Use one of {', '.join(WEEKDAYS)}",
        where={"field": "weekStart"},
    )


def zone(name: object) -> ZoneInfo:
    """The IANA time zone called ``name`` (``UTC`` when None)."""
    if name is None:
        return ZoneInfo("UTC")
    if isinstance(name, str) and name and ".." not in name and not name.startswith("/"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise QueryError(
        f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'",
        where={"field": "timezone"},
    )


@dataclass(frozen=True)
class Shift:
    """How far the comparison period lies before the current one."""

    days: int = 0
    seconds: int = 0
    years: int = 0


@dataclass(frozen=True)
class TimeRange:
    """``[start, end)``: aware datetimes in the query's time zone."""

    start: datetime
    end: datetime

    @property
    def day_aligned(self) -> bool:
        """Both ends are local midnights (the range is whole days)."""
        return self.start.time() == time(0) and self.end.time() == time(0)

    def instants(self, seconds: int = 3600) -> tuple[datetime, datetime]:
        """UTC (naive) bounds of the rows of ``seconds`` (an hour, a minute) covered whole.

        A row starting at ``ts`` is covered when ``first <= ts <= last``.
        """
        first = self.start.astimezone(UTC).replace(tzinfo=None)
        end = self.end.astimezone(UTC).replace(tzinfo=None)
        return first, end - timedelta(seconds=seconds)

    def days(self) -> tuple[date, date]:
        """First and last local calendar days the range covers whole (maybe first > last)."""
        start = self.start.replace(tzinfo=None)
        first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
        return first, self.end.replace(tzinfo=None).date() - timedelta(days=1)

    def to_json(self) -> dict[str, str]:
        """``{"start", "end"}`` as ISO 8601 with the zone's offset (end exclusive)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def compare_range(current: TimeRange, compare: Compare) -> tuple[TimeRange, Shift]:
    """The comparison period of ``current`` and how far it lies before it.

    ``previous_period`` is as long as the current one and ends where it starts (same
    number of days for whole-day ranges); ``same_period_last_year`` is the current one a
    calendar year earlier (29 February maps to 28 February).
    """
    with _calendar("compare"):
        return _compare_range(current, compare)


def _compare_range(current: TimeRange, compare: Compare) -> tuple[TimeRange, Shift]:
    tz = current.start.tzinfo
    if compare == "previous_period":
        if current.day_aligned:
            days = (current.end.date() - current.start.date()).days
            start = _local(current.start.date() - timedelta(days=days), tz)
            return TimeRange(start, current.start), Shift(days=days)
        length = current.end.astimezone(UTC) - current.start.astimezone(UTC)
        start = (current.start.astimezone(UTC) - length).astimezone(tz)
        return TimeRange(start, current.start), Shift(seconds=int(length.total_seconds()))
    if current.end.replace(tzinfo=None) > _year_later(current.start.replace(tzinfo=None)):
        raise QueryError(
            "same_period_last_year needs a time range of at most one year",
            where={"field": "compare"},
        )
    start = _normalise(_year_earlier(current.start.replace(tzinfo=None)).replace(tzinfo=tz))
    end = _normalise(_year_earlier(current.end.replace(tzinfo=None)).replace(tzinfo=tz))
    return TimeRange(start, end), Shift(years=1)


@contextmanager
def _calendar(where: str) -> Iterator[None]:
    """Dates past year 1 or 9999 are a bad request, not a crash."""
    try:
        yield
    except (OverflowError, ValueError) as exc:
        raise QueryError(
            f"the time range falls outside the calendar ({exc})", where={"field": where}
        ) from None


def date_range(
    value: object, tz: ZoneInfo, now: datetime, *, where: str, first_weekday: int = 0
) -> TimeRange:
    """A Cube ``dateRange``: ``[start, end]`` (inclusive end), one date, or a relative phrase
    (weeks starting on ``first_weekday``, 0 = Monday)."""
    with _calendar(where):
        return _date_range(value, tz, now, where=where, first_weekday=first_weekday)


def _date_range(
    value: object, tz: ZoneInfo, now: datetime, *, where: str, first_weekday: int
) -> TimeRange:
    if isinstance(value, list | tuple):
        if len(value) != 2 or not all(isinstance(v, str) for v in value):
            raise QueryError(
                "a date range is [start, end] (two ISO dates or times)", where={"field": where}
            )
        return _bounds(value[0], value[1], tz, where=where)
    if isinstance(value, str):
        if _DATE_TIME.match(value.strip()):
            return _bounds(value, value, tz, where=where)
        return relative(value, tz, now, where=where, first_weekday=first_weekday)
    raise QueryError(f"cannot read date range {value!r}", where={"field": where})


def bounds(start: str, end: str, tz: ZoneInfo, *, where: str) -> TimeRange:
    """A range from an inclusive start and an inclusive end written as ISO dates or times."""
    with _calendar(where):
        return _bounds(start, end, tz, where=where)


def _bounds(start: str, end: str, tz: ZoneInfo, *, where: str) -> TimeRange:
    first, _ = _point(start, tz, where=where)
    last, precision = _point(end, tz, where=where)
    if precision == timedelta(days=1):
        stop = _local(last.date() + timedelta(days=1), tz)
    else:
        stop = (last.astimezone(UTC) + precision).astimezone(tz)
    if stop <= first:
        raise QueryError(
            f"the date range ends ({end}) before it starts ({start})", where={"field": where}
        )
    return TimeRange(first, stop)


def relative(
    text: str, tz: ZoneInfo, now: datetime, *, where: str, first_weekday: int = 0
) -> TimeRange:
    """A relative range ("last 7 days", "this month", ...) as of ``now``; weeks start on
    ``first_weekday`` (0 = Monday).

    >>> now = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # a Wednesday
    >>> r = relative("last 7 days", ZoneInfo("UTC"), now, where="dateRange")
    >>> r.start.date().isoformat(), r.end.date().isoformat()
    ('2025-03-05', '2025-03-12')
    >>> r = relative("last week", ZoneInfo("UTC"), now, where="dateRange", first_weekday=6)
    >>> r.start.date().isoformat(), r.end.date().isoformat()  # Sunday to Saturday
    ('2025-03-02', '2025-03-09')
    """
    phrase = " ".join(text.lower().split())
    local = now.astimezone(tz)
    today = local.date()
    if phrase == "today":
        return _days(today, today + timedelta(days=1), tz)
    if phrase == "yesterday":
        return _days(today - timedelta(days=1), today, tz)
    if match := re.fullmatch(r"(this|last) (week|month|quarter|year)", phrase):
        start = _unit_start(today, match[2], first_weekday)
        if match[1] == "last":
            return _days(_add_units(start, match[2], -1), start, tz)
        return _days(start, _add_units(start, match[2], 1), tz)
    if match := re.fullmatch(r"last (\d{1,4}) (minute|hour|day|week|month|quarter|year)s?", phrase):
        count, unit = int(match[1]), match[2]
        if count == 0:
            raise QueryError(f"empty relative range {text!r}", where={"field": where})
        if unit in ("minute", "hour"):
            end = now.astimezone(UTC).replace(second=0, microsecond=0)
            size = timedelta(minutes=1)
            if unit == "hour":
                end, size = end.replace(minute=0), timedelta(hours=1)
            return TimeRange((end - count * size).astimezone(tz), end.astimezone(tz))
        if unit == "day":
            return _days(today - timedelta(days=count), today, tz)
        if unit == "week":
            start = _unit_start(today, "week", first_weekday)
            return _days(start - timedelta(weeks=count), start, tz)
        start = _unit_start(today, unit, first_weekday)
        return _days(_add_units(start, unit, -count), start, tz)
    if match := re.fullmatch(r"from (\S+) to (\S+)", phrase):
        return _bounds(match[1], match[2], tz, where=where)
    raise QueryError(
        f"cannot read date range {text!r}; use [start, end], 'today', 'yesterday', "
        "'this|last week|month|quarter|year', 'last N days|weeks|months|hours|...', "
        "or 'from <date> to <date>'",
        where={"field": where},
    )


# --- helpers --------------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _point(text: str, tz: ZoneInfo, *, where: str) -> tuple[datetime, timedelta]:
    """(aware datetime in ``tz``, the precision it is written in)."""
    match = _DATE_TIME.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError(text)
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        digits = (fraction or "")[:6].ljust(6, "0")
        naive = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(digits),
        )
    except ValueError:
        raise QueryError(
            f"cannot read {text!r} as a date or time (use ISO 8601: 2024-01-31 or "
            "2024-01-31T23:59:59Z)",
            where={"field": where},
        ) from None
    if hour is None:
        precision = timedelta(days=1)
    elif second is None:
        precision = timedelta(minutes=1)
    elif fraction is None:
        precision = timedelta(seconds=1)
    else:
        precision = timedelta(microseconds=10 ** max(0, 6 - len(fraction)))
    if offset is None:
        return _normalise(naive.replace(tzinfo=tz)), precision
    sign = 1 if offset == "Z" or offset[0] == "+" else -1
    digits_only = offset.replace(":", "")[1:] if offset != "Z" else "0000"
    delta = timedelta(hours=int(digits_only[:2] or 0), minutes=int(digits_only[2:] or 0))
    instant = naive.replace(tzinfo=UTC) - sign * delta
    return instant.astimezone(tz), precision


def _normalise(value: datetime) -> datetime:
    """A wall time that does not exist (DST gap) moved to the instant it would have been."""
    return value.astimezone(UTC).astimezone(value.tzinfo)


def _local(day: date, tz: object) -> datetime:
    assert isinstance(tz, ZoneInfo)
    return _normalise(datetime.combine(day, time(0), tzinfo=tz))


def _days(first: date, stop: date, tz: ZoneInfo) -> TimeRange:
    return TimeRange(_local(first, tz), _local(stop, tz))


def _unit_start(day: date, unit: str, first_weekday: int = 0) -> date:
    if unit == "week":
        return day - timedelta(days=(day.weekday() - first_weekday) % 7)
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _add_units(day: date, unit: str, count: int) -> date:
    """``day`` (the first of a unit) moved by ``count`` units."""
    if unit == "week":
        return day + timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(value: datetime) -> datetime:
    if value.month == 2 and value.day == 29:
        return value.replace(year=value.year - 1, day=28)
    return value.replace(year=value.year - 1)


def _year_later(value: datetime) -> datetime:
    if value.month == 2 and value.day == 29:
        return value.replace(year=value.year + 1, day=28)
    return value.replace(year=value.year + 1)
