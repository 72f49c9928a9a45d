"""The home page: the prompt form (its checks, where it goes, remixing a visible generation)
beside the user's own history."""

import re

import pytest

from gallery.dashscope.catalog import SEED_MAX
from gallery.models import Generation

from ..factories import PROMPT_FORM, make_generation

pytestmark = pytest.mark.django_db
REMIXED = {"model": "wanx2.1-t2i-turbo", "prompt": "a lighthouse at dusk", "size": "1024*1024"}


def test_it_shows_the_form_with_sensible_defaults(logged_in):
    response = logged_in.get("/")
    form = response.context["form"]
    assert form["model"].value() == "wanx2.1-t2i-turbo"
    assert form["size"].value() == "1024*1024"
    assert form["n"].value() == 1 and form["prompt_extend"].value() is True
    assert b"wan2.5-t2i-preview" in response.content  # the limits table names every model


def test_it_creates_a_queued_generation_and_starts_the_dispatcher(
    logged_in, user, take_queued_jobs
):
    response = logged_in.post(
        "/", {**PROMPT_FORM, "negative_prompt": "fog", "seed": "7", "watermark": "on"}
    )

    assert response.status_code == 302
    generation = Generation.objects.get()
    assert (generation.owner, generation.status) == (user, Generation.Status.QUEUED)
    assert (generation.width, generation.height, generation.seed) == (1024, 1024, 7)
    assert generation.negative_prompt == "fog" and generation.watermark
    assert generation.prompt_extend is False  # an unticked checkbox is off
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]  # kicked


def test_an_htmx_submit_answers_a_fresh_form_and_the_new_card(logged_in):
    response = logged_in.post("/", PROMPT_FORM, headers={"HX-Request": "true"})

    generation = Generation.objects.get()
    body = response.content.decode()
    assert 'id="prompt-form"' in body
    assert 'hx-swap-oob="afterbegin:#history"' in body
    assert f'id="generation-{generation.pk}"' in body and "Queued here" in body


@pytest.mark.parametrize(
    ("filters", "listed"),
    [
        ("", True),
        ("?q=lighthouse+dawn", True),
        ("?status=QUEUED&size=1024x1024", True),
        ("?remix=1", True),  # not a filter
        ("?q=meadow", False),
        ("?starred=on", False),  # "★ Favourites": a new one is not starred yet
        ("?status=FAILED", False),
        ("?until=2026-01-01", False),
        ("?order=oldest", False),  # its place is at the far end
        ("?size=big", True),  # a wrong filter is left out, as on the page
    ],
)
def test_a_new_card_goes_on_top_only_of_a_list_that_would_show_it(logged_in, filters, listed):
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/{filters}"}
    response = logged_in.post("/", PROMPT_FORM, headers=headers)

    generation = Generation.objects.get()
    body = response.content.decode()
    assert ('hx-swap-oob="afterbegin:#history"' in body) is listed
    assert (f'id="generation-{generation.pk}"' in body) is listed
    said = f'<a href="/g/{generation.pk}/">#{generation.pk}</a> is on its way'
    assert (said in body) is not listed  # so the user still knows where it went


def test_a_new_generation_goes_on_top_of_the_list_as_tiles_that_stay_tiles(logged_in):
    body = logged_in.post("/", PROMPT_FORM, headers={"HX-Request": "true"}).content.decode()
    generation = Generation.objects.get()
    # While queued it has no tick box; the refreshes that follow ask for its tiles, with one.
    assert f'hx-get="/g/{generation.pk}/card/?listed=1"' in body


def test_a_custom_size_is_used(logged_in):
    logged_in.post("/", {**PROMPT_FORM, "size": "custom", "width": "800", "height": "1200"})
    assert Generation.objects.values_list("width", "height").get() == (800, 1200)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"prompt": "   "}, "prompt", "This field is required"),
        ({"prompt": "x" * 501}, "prompt", "at most 500 characters"),
        ({"negative_prompt": "x" * 501}, "negative_prompt", "at most 500 characters"),
        ({"model": "wanx9-t2i"}, "model", "Select a valid choice"),
        ({"n": "5"}, "n", "less than or equal to 4"),
        ({"n": "0"}, "n", "greater than or equal to 1"),
        ({"seed": "-1"}, "seed", "greater than or equal to 0"),
        ({"seed": "2147483648"}, "seed", "less than or equal to 2147483647"),
        ({"size": "custom", "width": "2000", "height": "1024"}, "width", "between 512 and 1440"),
        ({"size": "custom", "width": "", "height": "1024"}, "width", "Enter both width"),
        (
            {"model": "wan2.5-t2i-preview", "size": "custom", "width": "640", "height": "640"},
            "width",
            "pixels in all",
        ),
        (
            {"model": "wan2.5-t2i-preview", "size": "custom", "width": "2880", "height": "700"},
            "width",
            "aspect ratio",
        ),
        ({"prompt": "bad\x00byte"}, "prompt", "Null characters are not allowed"),
    ],
)
def test_a_wrong_input_is_refused_at_its_field_and_nothing_is_queued(
    logged_in, change, field, words, take_queued_jobs
):
    response = logged_in.post("/", {**PROMPT_FORM, **change}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    body = response.content.decode()
    assert f'id="field-{field}"' in body and words.split()[0] in body
    assert not Generation.objects.exists() and not take_queued_jobs()


def test_a_refused_form_keeps_what_was_typed(logged_in):
    response = logged_in.post("/", {**PROMPT_FORM, "prompt": "keep me", "n": "9"})
    assert "keep me" in response.content.decode()


def test_wan25_allows_its_own_longer_prompt(logged_in):
    logged_in.post(
        "/",
        {**PROMPT_FORM, "model": "wan2.5-t2i-preview", "size": "1280*1280", "prompt": "y" * 1500},
    )
    assert Generation.objects.get().model == "wan2.5-t2i-preview"


def test_it_lists_only_the_users_own_history_newest_first(logged_in, user, other_user):
    older = make_generation(user, prompt="older one")
    newer = make_generation(user, prompt="newer one")
    make_generation(other_user, prompt="bob's secret")

    response = logged_in.get("/")

    assert list(response.context["page"]) == [newer, older]
    assert "bob&#x27;s secret" not in response.content.decode()


def test_history_is_paginated(logged_in, user):
    for i in range(30):
        make_generation(user, prompt=f"p{i}")
    first = logged_in.get("/")
    assert len(first.context["page"]) == 24
    more = re.search(r'<a href="(/\?after=[^"]+)"[^>]*>Load more', first.content.decode())[1]
    assert len(logged_in.get(more).context["page"]) == 6


def test_the_simulated_banner_shows_only_in_simulated_mode(logged_in, settings):
    settings.DASHSCOPE_SIMULATED = True
    assert "bundled DashScope simulator" in logged_in.get("/").content.decode()
    settings.DASHSCOPE_SIMULATED = False
    assert "bundled DashScope simulator" not in logged_in.get("/").content.decode()


def test_the_prompt_form_offers_only_teams_you_can_create_in(client, team, user):
    client.force_login(team.viewer)
    assert 'id="field-team"' not in client.get("/").content.decode()
    client.force_login(user)
    body = client.get("/").content.decode()
    assert 'id="field-team"' in body and f'<option value="{team.pk}">Lighthouse keepers' in body


def test_creating_into_a_team_shares_it_and_is_remembered(client, team, other_user):
    client.force_login(other_user)
    data = {"model": "wanx2.1-t2i-turbo", "prompt": "x", "size": "1024*1024", "n": 1}
    client.post("/", {**data, "team": team.pk})
    assert Generation.objects.get().team == team
    assert client.get("/").context["form"]["team"].value() == team.pk


def test_a_viewer_cannot_create_into_the_team(client, team):
    client.force_login(team.viewer)
    data = {"model": "wanx2.1-t2i-turbo", "prompt": "x", "size": "1024*1024", "n": 1}
    response = client.post("/", {**data, "team": team.pk})
    assert "Select a valid choice" in " ".join(response.context["form"].errors["team"])
    assert not Generation.objects.exists()


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


def test_a_seed_left_blank_is_picked_here_and_recorded_so_it_can_be_run_again(logged_in):
    logged_in.post("/", {**PROMPT_FORM, "n": 4})  # the seed left blank
    generation = Generation.objects.get()
    assert 0 <= generation.seed and generation.seed + 3 <= SEED_MAX
    assert generation.image_request().seed == generation.seed  # DashScope is sent it
    body = logged_in.get(f"/g/{generation.pk}/card/").content.decode()
    assert f'href="/?remix={generation.pk}&amp;same_seed=1"' in body
    assert f"<dd>{generation.seed}</dd>" in logged_in.get(f"/g/{generation.pk}/").content.decode()


def test_a_generation_from_before_seeds_were_recorded_cannot_be_run_again(client, user):
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


def test_the_new_generation_records_where_it_came_from(client, other_user, original):
    client.force_login(other_user)

    response = client.post("/", {**REMIXED, "n": 1, "remix": original.pk})

    assert response.status_code == 302
    remix = Generation.objects.get(prompt="a lighthouse at dusk")
    assert (remix.parent, remix.owner) == (original, other_user)
    assert list(original.remixes.all()) == [remix]


def test_a_viewer_remixes_a_team_generation_privately(client, team, original):
    client.force_login(team.viewer)
    client.post("/", {**REMIXED, "n": 1, "remix": original.pk})
    remix = Generation.objects.get(prompt="a lighthouse at dusk")
    assert (remix.parent, remix.owner, remix.team) == (original, team.viewer, None)


@pytest.mark.parametrize("remix", ["hidden", "999999", "abc", ""])
def test_a_parent_the_user_may_not_see_is_dropped_without_a_word(client, outsider, original, remix):
    client.force_login(outsider)
    value = original.pk if remix == "hidden" else remix

    response = client.post("/", {**REMIXED, "n": 1, "remix": value}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and "errors" not in response.content.decode()
    created = Generation.objects.get(prompt="a lighthouse at dusk")
    assert created.parent is None
    assert not original.remixes.exists()


def test_a_fresh_form_after_a_remix_is_not_a_remix(client, user, original):
    client.force_login(user)
    response = client.post(
        "/", {**REMIXED, "n": 1, "remix": original.pk}, headers={"HX-Request": "true"}
    )
    assert response.context["form"]["remix"].value() is None
