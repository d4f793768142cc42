"""The rest of the XPath functions real XLSForms use in rules and calculations: text (contains,
substr…), numbers (floor, max…), repeats (join, count-non-empty) and dates.

Dates follow ODK: in arithmetic a date is its number of days since 1970-01-01 (a date with a
time, a fraction of a day more), so ``(today() - ${born}) div 365.25`` is an age; ``date()``
turns a number of days back into a date. ``today()`` is the day the rule runs, on the server,
in the browser or on the reviewer's machine: a constraint such as ``. <= today()`` holds on all
three once it held on the first. ``portal/static/js/glas-logic.js`` has the same functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DecimalException
from typing import Any

EPOCH = dt.date(1970, 1, 1)
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
ISO_DATETIME = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9])")
#: The days date() turns back into dates: the years 1 to 9999.
FIRST_DAY, LAST_DAY = -719_162, 2_932_896
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: name: (fewest, most) arguments (None: any number).
ARITY: dict[str, tuple[int, int | None]] = {
    "today": (0, 0),
    "now": (0, 0),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "substr": (2, 3),
    "substring-before": (2, 2),
    "substring-after": (2, 2),
    "normalize-space": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
    "max": (1, None),
    "min": (1, None),
    "boolean": (1, 1),
    "boolean-from-string": (1, 1),
    "count-non-empty": (1, 1),
    "join": (2, None),
    "date": (1, 1),
    "decimal-date-time": (1, 1),
    "format-date": (2, 2),
}
#: Functions whose result is a number (comparisons with them compare numbers).
NUMERIC = {"floor", "ceiling", "abs", "pow", "max", "min", "count-non-empty", "decimal-date-time"}
#: Functions that read every instance of a repeat's answer (their arguments are node-sets).
NODE_SETS = {"max", "min", "count-non-empty", "join"}


def date_days(text: str) -> Decimal | None:
    """A date (or a date with a time) as ODK counts it: days since 1970-01-01."""
    match = ISO_DATE.match(text) or ISO_DATETIME.match(text)
    if match is None:
        return None
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    days = Decimal(day.toordinal() - EPOCH.toordinal())
    if match.re is ISO_DATETIME:
        days += Decimal(int(match[4]) * 60 + int(match[5])) / Decimal(1440)
    return days


def call(
    name: str,
    args: Sequence[Any],
    text: Callable[[Any], str],
    number: Callable[[Any], Decimal | None],
    boolean: Callable[[bool], Decimal],
    truth: Callable[[Any], bool],
    joined: Callable[[str, list[str]], str],
) -> Any:
    """One function of this module on evaluated arguments (the evaluator's own conversions)."""
    if name == "today":
        return dt.date.today().isoformat()
    if name == "now":
        return dt.datetime.now().strftime("%Y-%m-%dT%H:%M")
    if name in ("contains", "starts-with", "ends-with"):
        whole, part = text(args[0]), text(args[1])
        tests = {"contains": part in whole, "starts-with": whole.startswith(part)}
        return boolean(tests.get(name, whole.endswith(part)))
    if name == "substr":
        return _substr(text(args[0]), [number(a) for a in args[1:]])
    if name in ("substring-before", "substring-after"):
        whole, part = text(args[0]), text(args[1])
        if part not in whole:
            return ""
        before, _, after = whole.partition(part)
        return before if name == "substring-before" else after
    if name == "normalize-space":
        return " ".join(text(args[0]).split())
    if name in ("floor", "ceiling", "abs"):
        value = number(args[0])
        if value is None or not value.is_finite():
            return None
        if name == "abs":
            return abs(value)
        return value.to_integral_value(ROUND_FLOOR if name == "floor" else ROUND_CEILING)
    if name == "pow":
        return _pow(number(args[0]), number(args[1]))
    if name in ("max", "min"):
        numbers = [number(v) for v in _nodes(args) if str(v).strip() != ""]
        if not numbers or any(n is None for n in numbers):
            return None
        found = [n for n in numbers if n is not None]
        return max(found) if name == "max" else min(found)
    if name == "boolean":
        return boolean(truth(args[0]))
    if name == "boolean-from-string":
        return boolean(text(args[0]).strip() in ("true", "1"))
    if name == "count-non-empty":
        return Decimal(sum(1 for v in _nodes(args) if v != ""))
    if name == "join":
        return joined(text(args[0]), _nodes(args[1:]))
    if name == "decimal-date-time":
        return date_days(text(args[0])) if not isinstance(args[0], Decimal) else args[0]
    if name == "date":
        return _date(args[0], text, number)
    return _format_date(_date(args[0], text, number), text(args[1]))


def _nodes(args: Sequence[Any]) -> list[str]:
    found: list[str] = []
    for arg in args:
        found += arg if isinstance(arg, list) else [arg if isinstance(arg, str) else str(arg)]
    return found


def _substr(whole: str, bounds: list[Decimal | None]) -> str:
    """ODK's substr(string, start, end): start counted from 0, end not included."""
    if any(b is None or not b.is_finite() for b in bounds):
        return ""
    start = max(0, int(bounds[0] or 0))
    end = int(bounds[1]) if len(bounds) > 1 and bounds[1] is not None else len(whole)
    return whole[start : max(start, end)]


def _pow(base: Decimal | None, power: Decimal | None) -> Decimal | None:
    if base is None or power is None or abs(power) > 1000:
        return None
    try:
        if power == power.to_integral_value():
            return base ** int(power)
        return Decimal(float(base) ** float(power))
    except (DecimalException, OverflowError, ZeroDivisionError, ValueError, TypeError):
        return None


def _date(value: Any, text: Callable[[Any], str], number: Callable[[Any], Decimal | None]) -> str:
    """A date as text: itself when it reads as one, else the day so many days after 1970."""
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        return value.strip() if date_days(value.strip()) is not None else ""
    days = number(value)
    if days is None or not days.is_finite() or not FIRST_DAY <= days <= LAST_DAY:
        return ""
    return (EPOCH + dt.timedelta(days=int(days.to_integral_value(ROUND_FLOOR)))).isoformat()


def _format_date(day: str, pattern: str) -> str:
    """ODK's format-date for the parts needs-assessment forms use: %Y %y %m %n %d %e %b."""
    if not day:
        return ""
    year, month, date = int(day[:4]), int(day[5:7]), int(day[8:10])
    parts = {
        "Y": f"{year:04d}", "y": f"{year % 100:02d}", "m": f"{month:02d}", "n": str(month),
        "d": f"{date:02d}", "e": str(date), "b": MONTH_NAMES[month - 1],
    }  # fmt: skip
    return re.sub(r"%([YymndeEb])", lambda m: parts.get(m[1], m[0]), pattern)
