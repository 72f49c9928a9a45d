"""CSRF: every route of the project refuses a state-changing request without the token, with
the app's own page; the token htmx sends (base.html's hx-headers) is accepted."""

import re

import pytest
from django.test import Client

from gallery.models import Favourite

from ..factories import make_generation
from .routes import ROUTES

pytestmark = pytest.mark.django_db
UNSAFE_METHODS = ("post", "put", "patch", "delete")


def test_the_walk_covers_the_gallery_the_admin_and_the_accounts():
    assert "/" in ROUTES and "/g/1/delete/" in ROUTES and "/join/1/" in ROUTES
    assert "/accounts/login/" in ROUTES and "/accounts/logout/" in ROUTES
    assert "/admin/gallery/generation/1/delete/" in ROUTES and "/admin/gallery/" in ROUTES
    assert len(ROUTES) > 100


@pytest.fixture
def strict_client(admin_user) -> Client:
    """A logged-in superuser (so no route turns them away first) whose client checks CSRF as
    a browser's request is checked."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("method", UNSAFE_METHODS)
def test_every_route_refuses_a_change_without_the_token(strict_client, method):
    send = getattr(strict_client, method)
    let_through = []
    for url in ROUTES:
        response = send(url, headers={"HX-Request": "true"})
        body = response.content.decode()
        if response.status_code != 403 or "This form has expired" not in body:
            let_through.append(f"{url} → {response.status_code}")
    assert not let_through, f"{method.upper()} without a CSRF token was not refused"


def test_a_wrong_token_is_refused_too(strict_client, admin_user):
    generation = make_generation(admin_user)
    strict_client.get("/")  # sets the CSRF cookie
    response = strict_client.post(
        f"/g/{generation.pk}/star/", {"starred": "1"}, headers={"X-CSRFToken": "x" * 32}
    )
    assert response.status_code == 403
    assert not Favourite.objects.exists()


def test_the_token_in_the_page_for_htmx_is_accepted(strict_client, admin_user):
    generation = make_generation(admin_user)
    page = strict_client.get("/").content.decode()
    token = re.search(r"""<body hx-headers='\{"x-csrftoken": "(\w+)"\}'>""", page)[1]

    response = strict_client.post(
        f"/g/{generation.pk}/star/",
        {"starred": "1"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )

    assert response.status_code == 200
    assert Favourite.objects.filter(user=admin_user, generation=generation).exists()


def test_every_page_gives_htmx_the_token(strict_client, admin_user, team):
    generation = make_generation(admin_user)
    for url in ["/", f"/g/{generation.pk}/", "/boards/", "/teams/", "/trash/"]:
        page = strict_client.get(url).content.decode()
        assert re.search(r"""<body hx-headers='\{"x-csrftoken": "\w{32,}"\}'>""", page), url
