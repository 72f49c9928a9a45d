"""Times shown in the zone the person chose: its cookie, set from their Preferences at login and
when they choose it; else the installation's TIME_ZONE."""

from __future__ import annotations

import functools
import zoneinfo

from django.utils import timezone

from .models import Preferences


@functools.cache
def time_zones() -> frozenset[str]:
    """The zones a person may choose (the IANA names this machine knows)."""
    return frozenset(zoneinfo.available_timezones())


class TimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = request.COOKIES.get(Preferences.TIME_ZONE_COOKIE)
        if zone in time_zones():
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
