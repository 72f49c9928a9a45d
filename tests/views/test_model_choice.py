"""The prompt form is the chosen model's: only the parameters it takes, its limits and defaults.
Choosing another model redraws the form (htmx) keeping what was typed; without JavaScript the
server applies the posted model's rules and says at the field what it refuses."""

import re

import pytest

from gallery.dashscope import catalog
from gallery.models import Generation

from ..factories import PROMPT_FORM

pytestmark = pytest.mark.django_db
MODEL_CHANGE = {"HX-Request": "true", "HX-Trigger-Name": "model", "HX-Trigger": "id_model"}


def redraw(client, **data):
    response = client.post(
        "/", {**PROMPT_FORM, "drawn_for": "wanx2.1-t2i-turbo", **data}, headers=MODEL_CHANGE
    )
    assert response.status_code == 200
    return response.context["form"], response.content.decode()


def field_names(body: str) -> set[str]:
    return set(re.findall(r'name="(\w+)"', body))


def test_wan27_is_offered_with_its_own_parameters_and_defaults(logged_in):
    form, body = redraw(logged_in, model="wan2.7-image", prompt="a harbour, keep this")

    assert {"thinking_mode", "watermark", "seed"} <= field_names(body)
    assert not {"negative_prompt", "prompt_extend"} & field_names(body)
    assert form["size"].value() == "1024*1024"  # wan2.7 allows it too, so it stays
    assert "maxlength" not in body  # a pasted prompt is never cut
    assert 'name="n" value="4"' in body and 'name="n" value="5"' not in body  # 1–4, buttons
    assert "a harbour, keep this" in body  # what was typed stays
    assert '<option value="1K"' in body and '<option value="4K"' not in body
    assert "Think the picture through first" in body
    assert not Generation.objects.exists()


def test_a_size_the_new_model_refuses_becomes_its_default(logged_in):
    form, _ = redraw(logged_in, model="wan2.6-t2i", size="1024*1024", n="3")
    assert form["size"].value() == "1280*1280"
    assert form["n"].value() == "3"
    assert form["prompt_extend"].value() is False  # unticked on the form it came from


def test_a_tick_on_a_box_the_old_model_lacked_takes_the_new_models_default(logged_in):
    form, _ = redraw(logged_in, model="wan2.7-image-pro", drawn_for="wan2.2-t2i-flash")
    assert form["thinking_mode"].value() is True
    assert "4K" in dict(form.fields["size"].choices)  # pro, without reference images


def test_the_limits_table_and_the_choices_name_every_new_model(logged_in):
    body = logged_in.get("/").content.decode()
    for name in ("wan2.7-image", "wan2.7-image-pro", "wan2.6-t2i", "qwen-image-3.0"):
        assert f'<option value="{name}"' in body and f"<code>{name}</code>" in body


@pytest.mark.parametrize(
    ("data", "saved"),
    [
        ({"model": "wan2.7-image", "size": "2K"}, (2048, 2048, "2K")),
        ({"model": "wan2.7-image-pro", "size": "4K"}, (4096, 4096, "4K")),
        (
            {"model": "wan2.7-image", "size": "custom", "width": 2560, "height": 1440},
            (2560, 1440, ""),
        ),
        ({"model": "wan2.6-t2i", "size": "1280*1280"}, (1280, 1280, "")),
    ],
)
def test_a_model_of_the_new_protocol_is_queued_with_its_size(logged_in, data, saved):
    response = logged_in.post("/", {**PROMPT_FORM, **data})
    assert response.status_code == 302
    generation = Generation.objects.get()
    assert (generation.width, generation.height, generation.size_name) == saved
    assert generation.model == data["model"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"model": "wan2.7-image", "size": "4K"}, "size", "Select a valid choice"),
        (
            {"model": "wan2.6-t2i", "size": "custom", "width": 1024, "height": 1024},
            "width",
            "Wan 2.6 needs between 1280×1280 and 1440×1440 pixels in all",
        ),
        (
            {"model": "wan2.7-image", "size": "custom", "width": 4000, "height": 400},
            "width",
            "an aspect ratio between 1:8 and 8:1",
        ),
        ({"model": "wan2.6-t2i", "size": "1280*1280", "n": 5}, "n", "less than or equal to 4"),
        ({"model": "qwen-image-3.0", "size": "1328*1328", "n": 7}, "n", "less than or equal to 6"),
        ({"model": "wan2.7-image", "prompt": "x" * 5001}, "prompt", "at most 5000 characters"),
    ],
)
def test_without_javascript_the_posted_models_rules_hold(logged_in, data, field, words):
    response = logged_in.post("/", {**PROMPT_FORM, "size": "2K", **data})
    assert response.status_code == 200
    assert any(words in error for error in response.context["form"].errors[field]), (
        response.context["form"].errors
    )
    assert not Generation.objects.exists()


def test_parameters_a_model_does_not_take_are_not_kept(logged_in):
    logged_in.post(
        "/",
        {**PROMPT_FORM, "model": "wan2.7-image", "size": "2K", "negative_prompt": "fog"},
    )
    generation = Generation.objects.get()
    assert generation.negative_prompt == "" and generation.thinking_mode is False  # unticked


@pytest.mark.parametrize(
    ("model", "n", "cost"),
    [("wan2.7-image-pro", "2", "≈ 1.00 CNY"), ("wanx2.1-t2i-turbo", "3", "≈ 0.42 CNY")],
)
def test_the_cost_is_shown_beside_generate_and_follows_the_count(logged_in, model, n, cost):
    response = logged_in.post(
        "/",
        {**PROMPT_FORM, "model": model, "n": n},
        headers={**MODEL_CHANGE, "HX-Trigger-Name": "n"},
    )
    assert re.search(rf'<span class="cost" id="cost">{cost}</span>', response.content.decode())


def test_a_model_without_a_listed_price_says_so(logged_in):
    _, body = redraw(logged_in, model="qwen-image-3.0")
    assert "No price listed for this region" in body


def test_an_image_set_takes_up_to_twelve_images(logged_in):
    data = {**PROMPT_FORM, "model": "wan2.7-image", "size": "2K", "n": 8}
    refused = logged_in.post("/", data)
    assert "less than or equal to 4" in str(refused.context["form"].errors["n"])

    assert logged_in.post("/", {**data, "enable_sequential": "on"}).status_code == 302
    generation = Generation.objects.get()
    assert (generation.n, generation.enable_sequential) == (8, True)
    body = generation.image_request().body(catalog.Region.BEIJING)["parameters"]
    assert body["enable_sequential"] is True and "thinking_mode" not in body


def test_an_image_set_is_not_made_at_4k(logged_in):
    response = logged_in.post(
        "/",
        {**PROMPT_FORM, "model": "wan2.7-image-pro", "size": "4K", "enable_sequential": "on"},
    )
    assert "Select a valid choice" in str(response.context["form"].errors["size"])
    assert not Generation.objects.exists()


def test_ticking_image_set_redraws_the_count_and_the_cost(logged_in):
    response = logged_in.post(
        "/",
        {
            **PROMPT_FORM,
            "model": "wan2.7-image",
            "size": "2K",
            "n": 10,
            "enable_sequential": "on",
            "drawn_for": "wan2.7-image",
        },
        headers={**MODEL_CHANGE, "HX-Trigger-Name": "enable_sequential"},
    )
    body = response.content.decode()
    assert 'max="12"' in body and "≈ 2.00 CNY" in body


def test_a_colour_palette_is_sent_as_dashscope_takes_it(logged_in):
    palette = "#c2d1e6 60%, #1D3557 25.5%, #F1FAEE 14.5%"
    data = {**PROMPT_FORM, "model": "wan2.7-image", "size": "2K", "color_palette": palette}
    assert logged_in.post("/", data).status_code == 302
    body = Generation.objects.get().image_request().body(catalog.Region.BEIJING)
    assert body["parameters"]["color_palette"] == [
        {"hex": "#C2D1E6", "ratio": "60.00%"},
        {"hex": "#1D3557", "ratio": "25.50%"},
        {"hex": "#F1FAEE", "ratio": "14.50%"},
    ]


@pytest.mark.parametrize(
    ("palette", "words"),
    [
        ("#C2D1E6 50%, #1D3557 50%", "Give 3 to 10 colours; this has 2"),
        ("#C2D1E6 50%, #1D3557 30%, #F1FAEE 10%", "add up to 90%, not 100%"),
        ("blue 50%, #1D3557 30%, #F1FAEE 20%", "“blue 50%” is not a colour and its share"),
    ],
)
def test_a_colour_palette_dashscope_would_refuse_is_explained_at_the_field(
    logged_in, palette, words
):
    data = {**PROMPT_FORM, "model": "wan2.7-image", "size": "2K", "color_palette": palette}
    errors = logged_in.post("/", data).context["form"].errors["color_palette"]
    assert any(words in error for error in errors), errors
    assert not Generation.objects.exists()
