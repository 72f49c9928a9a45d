"""Remix: the prompt form filled in from a visible generation, and the parent recorded."""

import pytest

from gallery.models import Generation

from ..conftest import make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(user, team):
    return make_generation(
        user,
        team=team,
        prompt="a lighthouse at dawn",
        negative_prompt="fog",
        model="wan2.2-t2i-plus",
        width=800,
        height=1200,
        n=3,
        seed=9,
        prompt_extend=False,
        watermark=True,
    )


def form_values(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def test_every_card_has_remix_and_same_seed_links(client, user, original):
    client.force_login(user)
    body = client.get(f"/g/{original.pk}/card/").content.decode()
    assert f'href="/?remix={original.pk}">Remix</a>' in body
    assert f'href="/?remix={original.pk}&amp;same_seed=1"' in body


def test_a_random_seed_cannot_be_run_again(client, user):
    generation = make_generation(user, seed=None)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Remix</a>" in body and "same_seed" not in body


def test_remix_fills_the_form_with_a_new_random_seed(client, other_user, original):
    client.force_login(other_user)  # a member of the team it is shared with

    values = form_values(client.get(f"/?remix={original.pk}"))

    assert values["prompt"] == "a lighthouse at dawn" and values["negative_prompt"] == "fog"
    assert values["model"] == "wan2.2-t2i-plus"
    assert (values["size"], values["width"], values["height"]) == ("custom", 800, 1200)
    assert values["n"] == 3
    assert (values["prompt_extend"], values["watermark"]) == (False, True)
    assert values["seed"] is None
    assert values["remix"] == original.pk


def test_same_seed_fills_the_seed_too(client, user, original):
    client.force_login(user)
    values = form_values(client.get(f"/?remix={original.pk}&same_seed=1"))
    assert values["seed"] == 9 and values["prompt"] == "a lighthouse at dawn"


def test_a_preset_size_is_chosen_as_the_preset(client, user):
    generation = make_generation(user, width=1024, height=1024)
    client.force_login(user)
    assert form_values(client.get(f"/?remix={generation.pk}"))["size"] == "1024*1024"


def test_where_it_goes_stays_the_users_own_choice(client, other_user, original):
    make_generation(other_user)  # bob's last one was private
    client.force_login(other_user)
    assert form_values(client.get(f"/?remix={original.pk}"))["team"] is None


def test_the_page_says_it_is_a_remix(client, user, original):
    client.force_login(user)
    body = client.get(f"/?remix={original.pk}").content.decode()
    assert f'<input type="hidden" name="remix" value="{original.pk}"' in body
    assert f"Remix of #{original.pk}" in body


@pytest.mark.parametrize("remix", ["hidden", "unknown", "garbage", "huge"])
def test_a_generation_the_user_may_not_see_gives_just_the_usual_form(
    client, outsider, original, remix
):
    value = {"hidden": original.pk, "unknown": 999999, "garbage": "1%20OR%201", "huge": "9" * 40}
    client.force_login(outsider)
    usual = form_values(client.get("/"))

    response = client.get(f"/?remix={value[remix]}&same_seed=1")

    assert response.status_code == 200
    assert form_values(response) == usual
    assert "a lighthouse at dawn" not in response.content.decode()
    assert "Remix of" not in response.content.decode()


VALID = {"model": "wanx2.1-t2i-turbo", "prompt": "a lighthouse at dusk", "size": "1024*1024"}


def test_the_new_generation_records_where_it_came_from(client, other_user, original):
    client.force_login(other_user)

    response = client.post("/", {**VALID, "n": 1, "remix": original.pk})

    assert response.status_code == 302
    remix = Generation.objects.get(prompt="a lighthouse at dusk")
    assert (remix.parent, remix.owner) == (original, other_user)
    assert list(original.remixes.all()) == [remix]


def test_a_viewer_remixes_a_team_generation_privately(client, team, original):
    client.force_login(team.viewer)
    client.post("/", {**VALID, "n": 1, "remix": original.pk})
    remix = Generation.objects.get(prompt="a lighthouse at dusk")
    assert (remix.parent, remix.owner, remix.team) == (original, team.viewer, None)


@pytest.mark.parametrize("remix", ["hidden", "999999", "abc", ""])
def test_a_parent_the_user_may_not_see_is_dropped_without_a_word(client, outsider, original, remix):
    client.force_login(outsider)
    value = original.pk if remix == "hidden" else remix

    response = client.post("/", {**VALID, "n": 1, "remix": value}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and "errors" not in response.content.decode()
    created = Generation.objects.get(prompt="a lighthouse at dusk")
    assert created.parent is None
    assert not original.remixes.exists()


def test_a_fresh_form_after_a_remix_is_not_a_remix(client, user, original):
    client.force_login(user)
    response = client.post(
        "/", {**VALID, "n": 1, "remix": original.pk}, headers={"HX-Request": "true"}
    )
    assert response.context["form"]["remix"].value() is None
