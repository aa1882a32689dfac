"""`since:` of `/digest` and `--since` of `citebot digest`, as people write it: a duration back from
now ("24h", "3d", "90m", "1w"), a day or an instant ("2026-01-05", "2026-01-05T08:00"), or words
dateparser reads ("yesterday", "2 days ago", "last Monday"). Always in UTC, never in the future."""

import datetime as dt
import re

_DURATION = re.compile(r"^\s*(\d{1,4})\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE)
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """The aware UTC instant `text` names, relative to `now` (aware); ValueError, with words a user
    can act on, when it names none or one after `now`."""
    duration = _DURATION.match(text)
    if duration:
        return now - dt.timedelta(**{_UNIT[duration[2][0].lower()]: int(duration[1])})
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        import dateparser

        found = dateparser.parse(text, settings={
            "RELATIVE_BASE": now.replace(tzinfo=None), "TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "past",
        })
        if found is None:
            raise ValueError(f"{text!r} is not a time: try 24h, 3d, 2026-01-05 or yesterday") from None
        parsed = found
    since = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    if since > now:
        raise ValueError(f"{text!r} is in the future: a digest looks back")
    return since.astimezone(dt.UTC)
