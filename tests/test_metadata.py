"""Downloaded originals carry their prompt and parameters in PNG text chunks."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from PIL import Image, PngImagePlugin

from gallery.metadata import download_name, generation_manifest, png_with_metadata
from gallery.models import Generation, ReferenceImage

from .factories import make_generation, store_image

pytestmark = pytest.mark.django_db


def png_bytes(**text) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 80, 20)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture
def generation(user, media_root):
    return make_generation(
        user,
        prompt="灯塔 at dawn, oil painting",
        negative_prompt="fog",
        actual_prompt="A lighthouse at dawn in thick oil paint, warm light",
        model="wan2.2-t2i-plus",
        width=1024,
        height=768,
        n=2,
        seed=41,
        prompt_extend=True,
        watermark=False,
        status=Generation.Status.SUCCEEDED,
        task_id="task-abc",
        request_id="req-xyz",
        image_count=2,
    )


def test_a_png_carries_every_parameter_and_its_own_seed(generation):
    store_image(generation, 0, data=png_bytes(), seed=41)
    second = store_image(generation, 1, data=png_bytes(), seed=42)

    with Image.open(io.BytesIO(png_with_metadata(generation, second))) as image:
        text = image.text

    assert text["prompt"] == "灯塔 at dawn, oil painting"  # iTXt: not Latin-1
    assert text["negative_prompt"] == "fog"
    assert text["actual_prompt"] == "A lighthouse at dawn in thick oil paint, warm light"
    assert text["model"] == "wan2.2-t2i-plus"
    assert text["size"] == "1024*768"
    assert text["seed"] == "42"
    assert text["n"] == "2"
    assert (text["prompt_extend"], text["watermark"]) == ("true", "false")
    assert text["task_id"] == "task-abc"
    assert text["created_at"] == generation.created_at.isoformat()
    everything = json.loads(text["wanxweb"])
    assert everything["prompt"] == "灯塔 at dawn, oil painting"
    assert everything["image"]["seed"] == 42 and everything["image"]["index"] == 1
    assert everything["request_id"] == "req-xyz" and everything["author"] == "alice"
    assert [image["seed"] for image in everything["images"]] == [41, 42]


def test_the_pixels_stay_as_they_were_and_the_file_stays_valid(generation):
    original = png_bytes()
    image = store_image(generation, 0, data=original)

    data = png_with_metadata(generation, image)

    with Image.open(io.BytesIO(data)) as checked:
        checked.verify()  # checks every chunk's CRC
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(data)) as after:
        assert after.tobytes() == before.tobytes()


def test_text_already_in_the_file_under_our_keywords_is_replaced(generation):
    image = store_image(generation, 0, data=png_bytes(prompt="stale", Author="DashScope"))

    with Image.open(io.BytesIO(png_with_metadata(generation, image))) as checked:
        assert checked.text["prompt"] == "灯塔 at dawn, oil painting"
        assert checked.text["Author"] == "DashScope"  # other text is kept


def test_an_unknown_seed_is_left_empty(generation):
    Generation.objects.filter(pk=generation.pk).update(seed=None)
    generation.refresh_from_db()
    image = store_image(generation, 0, data=png_bytes())

    with Image.open(io.BytesIO(png_with_metadata(generation, image))) as checked:
        assert checked.text["seed"] == ""
        assert json.loads(checked.text["wanxweb"])["seed"] is None


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"\xff\xd8\xff\xe0 a JPEG", "0.jpg"), (png_bytes()[:40], "0.png")],
    ids=["jpeg", "truncated png"],
)
def test_other_files_are_served_as_stored(generation, data, name):
    image = store_image(generation, 0, data=data, name=name)
    assert png_with_metadata(generation, image) == data


def test_the_manifest_names_the_team_and_files_but_not_the_parent(generation, team):
    child = make_generation(generation.owner, parent=generation, team=team)
    store_image(child, 0, data=png_bytes(), seed=3)

    manifest = generation_manifest(child)

    assert manifest["team"] == "Lighthouse keepers" and manifest["page"] == f"/g/{child.pk}/"
    assert manifest["images"][0]["file"].endswith(".png")
    assert "parent" not in manifest  # the team may not be allowed to see it
    json.dumps(manifest)  # plain values only


def test_the_download_name_says_what_the_image_is(user, media_root):
    generation = make_generation(user, prompt="A lighthouse at dawn, oil painting")
    image = store_image(generation, 2, data=png_bytes())
    assert download_name(generation, image) == (
        f"wanxweb-{generation.pk}-3-a-lighthouse-at-dawn-oil-painting.png"
    )


def test_an_edit_names_its_reference_images_and_its_named_size(user, media_root):
    edit = make_generation(
        user, model="wan2.7-image", size_name="2K", width=2048, height=2048, status="SUCCEEDED"
    )
    for index in range(2):
        reference = ReferenceImage(generation=edit, index=index, width=600, height=400 + index)
        reference.image.save(f"generations/{edit.pk}/references/{index}.jpg", ContentFile(b"j"))
    image = store_image(edit, 0, data=png_bytes())

    with Image.open(io.BytesIO(png_with_metadata(edit, image))) as picture:
        text = picture.text

    assert text["size"] == "2K"
    assert json.loads(text["wanxweb"])["references"] == [
        {
            "image": 1,
            "width": 600,
            "height": 400,
            "file": f"wanxweb-{edit.pk}-reference-1.jpg",
            "boxes": [],
        },
        {
            "image": 2,
            "width": 600,
            "height": 401,
            "file": f"wanxweb-{edit.pk}-reference-2.jpg",
            "boxes": [],
        },
    ]
