"""The project's URLs, and three that fail on purpose (see test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from wanxweb.urls import urlpatterns as project_urlpatterns


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a suspicious request")


def broken(request):
    from django.conf import settings

    raise RuntimeError(f"broken while calling DashScope with {settings.DASHSCOPE_API_KEY}")


urlpatterns = [
    path("_fail/403/", forbidden),
    path("_fail/400/", suspicious),
    path("_fail/500/", broken),
    *project_urlpatterns,
]
