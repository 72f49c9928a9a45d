"""The pages, one module per page or page family; what several of them use is here."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from ..ids import parse_id


def redirect_back(request: HttpRequest, fallback) -> HttpResponse:
    """Where a form sent without JS returns to: the page it came from, if it is one of ours."""
    for target in (request.POST.get("next"), request.headers.get("referer")):
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
    return redirect(fallback)


def posted_id(request: HttpRequest, name: str) -> int:
    """The id in a POSTed field; 404 for anything that is not one (never a 500)."""
    pk = parse_id(request.POST.get(name))
    if pk is None:
        raise Http404
    return pk
