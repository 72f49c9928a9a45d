import re

import pytest

from gallery.models import Generation

from ..conftest import make_generation

pytestmark = pytest.mark.django_db
VALID = {
    "model": "wanx2.1-t2i-turbo",
    "prompt": "a lighthouse at dawn",
    "size": "1024*1024",
    "n": 1,
}


def test_it_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


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
        "/", {**VALID, "negative_prompt": "fog", "seed": "7", "watermark": "on"}
    )

    assert response.status_code == 302
    generation = Generation.objects.get()
    assert (generation.owner, generation.status) == (user, Generation.Status.QUEUED)
    assert (generation.width, generation.height, generation.seed) == (1024, 1024, 7)
    assert generation.negative_prompt == "fog" and generation.watermark
    assert generation.prompt_extend is False  # an unticked checkbox is off
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]  # kicked


def test_an_htmx_submit_answers_a_fresh_form_and_the_new_card(logged_in):
    response = logged_in.post("/", VALID, headers={"HX-Request": "true"})

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
    response = logged_in.post("/", VALID, headers=headers)

    generation = Generation.objects.get()
    body = response.content.decode()
    assert ('hx-swap-oob="afterbegin:#history"' in body) is listed
    assert (f'id="generation-{generation.pk}"' in body) is listed
    said = f'<a href="/g/{generation.pk}/">#{generation.pk}</a> is on its way'
    assert (said in body) is not listed  # so the user still knows where it went


def test_a_new_card_keeps_its_tick_box_in_the_list(logged_in):
    body = logged_in.post("/", VALID, headers={"HX-Request": "true"}).content.decode()
    generation = Generation.objects.get()
    # While queued it has none; the refreshes that follow ask for the card with its tick box.
    assert f'hx-get="/g/{generation.pk}/card/?selectable=1"' in body


def test_a_custom_size_is_used(logged_in):
    logged_in.post("/", {**VALID, "size": "custom", "width": "800", "height": "1200"})
    assert Generation.objects.values_list("width", "height").get() == (800, 1200)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"prompt": "   "}, "prompt", "This field is required"),
        ({"prompt": "x" * 801}, "prompt", "at most 800 characters"),
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
    response = logged_in.post("/", {**VALID, **change}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    body = response.content.decode()
    assert f'id="field-{field}"' in body and words.split()[0] in body
    assert not Generation.objects.exists() and not take_queued_jobs()


def test_a_refused_form_keeps_what_was_typed(logged_in):
    response = logged_in.post("/", {**VALID, "prompt": "keep me", "n": "9"})
    assert "keep me" in response.content.decode()


def test_wan25_allows_its_own_longer_prompt(logged_in):
    logged_in.post(
        "/", {**VALID, "model": "wan2.5-t2i-preview", "size": "1280*1280", "prompt": "y" * 1500}
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
