import pytest

from gallery.models import Favourite, Generation

from ..conftest import make_generation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
STARRED = 'aria-pressed="true"'
UNSTARRED = 'aria-pressed="false"'


def star_url(generation) -> str:
    return f"/g/{generation.pk}/star/"


def test_starring_with_htmx_swaps_the_button(client, user):
    generation = make_generation(user)
    client.force_login(user)

    response = client.post(star_url(generation), {"starred": "1"}, headers=HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<form method="post" action="/g/')  # just the button
    assert STARRED in body and "★" in body
    assert Favourite.objects.filter(user=user, generation=generation).exists()

    body = client.post(star_url(generation), {"starred": "0"}, headers=HTMX).content.decode()
    assert UNSTARRED in body and "☆" in body
    assert not Favourite.objects.exists()


def test_starring_twice_keeps_one_star(client, user):
    generation = make_generation(user)
    client.force_login(user)
    for _ in range(2):
        client.post(star_url(generation), {"starred": "1"})
    assert Favourite.objects.count() == 1


def test_without_js_starring_returns_to_the_page_it_came_from(client, user):
    generation = make_generation(user)
    client.force_login(user)
    response = client.post(star_url(generation), {"starred": "1", "next": "/?q=lighthouse"})
    assert response.url == "/?q=lighthouse"
    response = client.post(
        star_url(generation), {"starred": "0"}, headers={"referer": "http://testserver/trash/"}
    )
    assert response.url == "http://testserver/trash/"
    response = client.post(star_url(generation), {"starred": "1", "next": "//evil.test/"})
    assert response.url == f"/g/{generation.pk}/"


def test_stars_are_each_users_own(client, team, user, other_user):
    generation = make_generation(user, team=team)
    Favourite.objects.create(user=other_user, generation=generation)
    client.force_login(user)
    for url in ["/", f"/teams/{team.pk}/gallery/", f"/g/{generation.pk}/"]:
        body = client.get(url).content.decode()
        assert UNSTARRED in body and STARRED not in body
    client.force_login(other_user)
    for url in [f"/teams/{team.pk}/gallery/", f"/g/{generation.pk}/"]:
        assert STARRED in client.get(url).content.decode()


def test_a_viewer_may_star_what_they_see(client, team, user):
    generation = make_generation(user, team=team)
    client.force_login(team.viewer)
    client.post(star_url(generation), {"starred": "1"})
    assert Favourite.objects.filter(user=team.viewer).exists()


def test_what_you_cannot_see_cannot_be_starred(client, team, user, outsider):
    private = make_generation(user)
    shared = make_generation(user, team=team)
    client.force_login(outsider)
    for generation in [private, shared]:
        assert client.post(star_url(generation), {"starred": "1"}).status_code == 404
    client.logout()
    response = client.post(star_url(shared), {"starred": "1"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not Favourite.objects.exists()


def test_starring_is_a_post(client, user):
    client.force_login(user)
    assert client.get(star_url(make_generation(user))).status_code == 405


def test_a_polled_card_keeps_its_star(client, user):
    generation = make_generation(user, status=Generation.Status.RUNNING)
    Favourite.objects.create(user=user, generation=generation)
    client.force_login(user)
    assert STARRED in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_the_favourites_link_shows_only_starred_generations(client, user):
    starred = make_generation(user, prompt="a starred lighthouse")
    make_generation(user, prompt="an ordinary harbour")
    Favourite.objects.create(user=user, generation=starred)
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'href="/?starred=on"' in home and "★ Favourites" in home

    body = client.get("/?starred=on").content.decode()
    assert "a starred lighthouse" in body and "an ordinary harbour" not in body


def test_favourited_by_is_a_reusable_filter(user, other_user):
    mine = make_generation(user)
    theirs = make_generation(user)
    Favourite.objects.create(user=user, generation=mine)
    Favourite.objects.create(user=other_user, generation=mine)
    Favourite.objects.create(user=other_user, generation=theirs)
    assert list(Generation.objects.favourited_by(user)) == [mine]  # once, though starred twice
    unstarred = make_generation(user)
    starred = {g: g.starred for g in Generation.objects.with_star(other_user)}
    assert starred == {mine: True, theirs: True, unstarred: False}
