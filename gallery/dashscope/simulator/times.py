"""Time as DashScope writes it: Beijing-local strings, whatever the server's own time zone."""

from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))


def beijing(epoch: float) -> str:
    """An answer's time: 'YYYY-MM-DD hh:mm:ss.SSS' in Beijing."""
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def from_list_time(value: str) -> float:
    """The epoch of a task listing's start_time or end_time, 'YYYYMMDDhhmmss' in Beijing."""
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).timestamp()
