"""Request bodies are read here, before anything else reads them.

A body Django cannot read raises wherever it is first read (the CSRF check), and again where
the 400 page checks the CSRF token, each logged with its traceback: an anonymous client could
fill the disk. Here such a body answers the app's own 400 and one log line, and a body larger
than the app takes answers 413 before it is read at all, as nginx's client_max_body_size does:
REQUEST_BODY_MAX_BYTES, or UPLOAD_BODY_MAX_BYTES for the prompt form of someone logged in.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.log import log_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Raised by Django while reading a body: a wrong charset, boundary or encoding; too many
# fields or files; a client gone mid-body.
UNREADABLE = (BadRequest, SuspiciousOperation, MultiPartParserError, UnreadablePostError)


class RequestBodyCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.upload_path = reverse("gallery:home")  # the one form that takes files

    def __call__(self, request):
        refusal = self.refusal(request)
        if refusal is None:
            return self.get_response(request)
        status, reason = refusal
        response = HttpResponse(render_to_string(f"{status}.html"), status=status)
        log_response("Refused %s: %s", request.path, reason[:200], response=response)
        return response

    def refusal(self, request) -> tuple[int, str] | None:
        """(status, why) for a body the app will not take, or None."""
        length = declared_length(request)
        if length > settings.REQUEST_BODY_MAX_BYTES and (
            length > settings.UPLOAD_BODY_MAX_BYTES
            or request.path != self.upload_path
            or not request.user.is_authenticated
        ):
            return 413, f"a body of {length} bytes"
        if request.content_type in FORM_TYPES and not is_utf8(request.encoding):
            # Django takes a multipart body in any charset, and the CSRF token then reads as
            # missing: a 403 that hides what is wrong.
            return 400, f"a form body in {request.encoding}"
        try:
            request.GET, request.POST, request.FILES  # noqa: B018 (reading is the check)
        except UNREADABLE as error:
            return 400, f"{type(error).__name__}: {error}"
        return None


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: no body


def is_utf8(encoding: str | None) -> bool:
    return encoding is None or codecs.lookup(encoding).name == "utf-8"  # Django checked it
