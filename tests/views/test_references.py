"""Reference images on the prompt form: picked from the gallery or uploaded, checked as
DashScope checks them with a clear error at the field, kept through a redraw or a refusal
elsewhere, stored with the generation in order, carried over by remix and retry, in the ZIP;
with boxes (wan2.7's bbox_list) written beside each in the pixels of the image as it is sent."""

import html
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gallery import metadata, references
from gallery.dashscope.catalog import Region
from gallery.models import Generation

from ..factories import PROMPT_FORM, finished_generation, store_image

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
EDIT = {**PROMPT_FORM, "model": "wan2.7-image", "size": "1K", "prompt": "image 1 at night"}
HTMX_UPLOAD = {"HX-Request": "true", "HX-Trigger-Name": "reference_uploads"}


def picture(size=(600, 400), fmt="PNG", colour="teal", name=None) -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, colour).save(data, fmt)
    return SimpleUploadedFile(name or f"photo.{fmt.lower()}", data.getvalue())


def tokens_in(body: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="references" value="(\w+\.?\d*)">', body)


def stored_picture(owner, **fields):
    generation = finished_generation(owner, images=0, status=Generation.Status.SUCCEEDED, **fields)
    store_image(generation, 0, width=512, height=512)
    return generation


def test_an_upload_and_a_pick_are_sent_in_order(logged_in, user):
    earlier = stored_picture(user)
    response = logged_in.post(
        "/", {**EDIT, "references": [f"g{earlier.pk}.0"], "reference_uploads": [picture()]}
    )
    assert response.status_code == 302
    edit = Generation.objects.exclude(pk=earlier.pk).get()
    first, second = edit.references.all()
    assert first.source == earlier.images.get() and second.source is None
    assert (second.width, second.height) == (600, 400)
    request = edit.image_request()
    assert [uri[:23] for uri in request.images] == ["data:image/jpeg;base64,"] * 2
    assert "thinking_mode" not in request.body(Region.BEIJING)["parameters"]
    assert not default_storage.listdir(f"{references.PENDING}/{user.pk}")[1]  # taken


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (picture(fmt="GIF", name="a.gif"), "a.gif: not an image DashScope takes"),
        (picture((200, 600)), "200×600; each side must be 240–8000 px"),
        (picture((4000, 300)), "the aspect ratio must be within 1:8 and 8:1"),
        (SimpleUploadedFile("notes.png", b"not a picture"), "notes.png: not an image that can"),
    ],
)
def test_an_upload_dashscope_would_refuse_is_refused_at_its_field(logged_in, upload, words):
    response = logged_in.post("/", {**EDIT, "reference_uploads": [upload, picture()]})
    assert response.status_code == 200
    errors = response.context["form"].errors["reference_uploads"]
    assert any(words in error for error in errors), errors
    assert not Generation.objects.exists()
    # The good one is kept: the form comes back with it, to send once the other is gone.
    assert len(tokens_in(response.content.decode())) == 1


def test_a_file_over_20_mb_is_refused_unread(logged_in, monkeypatch):
    monkeypatch.setattr(references, "UPLOAD_MAX_BYTES", 1000)
    response = logged_in.post("/", {**EDIT, "reference_uploads": [picture((2000, 2000))]})
    assert "larger than 0 MB" in str(response.context["form"].errors["reference_uploads"])


def test_a_refusal_elsewhere_keeps_the_uploads(logged_in):
    response = logged_in.post("/", {**EDIT, "prompt": "", "reference_uploads": [picture()]})
    body = response.content.decode()
    assert "This field is required" in body
    (token,) = tokens_in(body)
    again = logged_in.post("/", {**EDIT, "references": [token]})
    assert again.status_code == 302
    assert Generation.objects.get().references.count() == 1


def test_more_references_than_the_model_takes_are_refused(logged_in, user):
    earlier = stored_picture(user)
    tokens = [f"g{earlier.pk}.0"]
    response = logged_in.post(
        "/", {**EDIT, "references": tokens, "reference_uploads": [picture() for _ in range(9)]}
    )
    assert "takes at most 9 reference images; there are 10" in response.content.decode()
    assert not Generation.objects.exclude(pk=earlier.pk).exists()


def test_a_model_that_edits_nothing_says_so_instead_of_dropping_them(logged_in):
    response = logged_in.post("/", {**PROMPT_FORM, "reference_uploads": [picture()]}, headers={})
    assert "Wan 2.1 Turbo takes no reference images" in response.content.decode()
    assert not Generation.objects.exists()


def test_an_image_the_user_may_not_see_is_dropped_without_a_word(logged_in, other_user):
    theirs = stored_picture(other_user)
    response = logged_in.post("/", {**EDIT, "references": [f"g{theirs.pk}.0", "u" + "0" * 32]})
    assert response.status_code == 302
    assert Generation.objects.get(owner__username="alice").references.count() == 0


def test_use_as_reference_opens_the_form_with_it_and_a_model_that_edits(logged_in, user):
    earlier = stored_picture(user)
    card = logged_in.get(f"/g/{earlier.pk}/").content.decode()
    link = f"/?reference=g{earlier.pk}.0"
    assert f'href="{link}"' in card

    form = logged_in.get(link).context["form"]
    assert form["model"].value() == "wan2.7-image"
    assert [pick.token for pick in form.reference_picks] == [f"g{earlier.pk}.0"]


def test_an_upload_is_checked_and_shown_as_soon_as_it_is_chosen(logged_in):
    response = logged_in.post("/", {**EDIT, "reference_uploads": [picture()]}, headers=HTMX_UPLOAD)
    body = response.content.decode()
    (token,) = tokens_in(body)
    assert f'src="/references/pending/{token[1:]}/"' in body and "image 1" in body
    # the file, or (object storage) a presigned URL for it
    assert logged_in.get(f"/references/pending/{token[1:]}/").status_code in (200, 302)
    assert not Generation.objects.exists()


def test_remove_takes_a_reference_off_the_form(logged_in, user):
    earlier = stored_picture(user)
    tokens = [f"g{earlier.pk}.0", references.accept_upload(user, picture())]
    response = logged_in.post("/", {**EDIT, "references": tokens, "remove_reference": tokens[0]})
    assert tokens_in(response.content.decode()) == tokens[1:]
    assert Generation.objects.count() == 1  # the earlier one: nothing was sent


def test_remix_and_retry_carry_the_references_over(logged_in, user):
    logged_in.post("/", {**EDIT, "reference_uploads": [picture(colour="red"), picture()]})
    edit = Generation.objects.get()
    form = logged_in.get(f"/?remix={edit.pk}").context["form"]
    assert [pick.token for pick in form.reference_picks] == [f"r{edit.pk}.0", f"r{edit.pk}.1"]

    Generation.objects.filter(pk=edit.pk).update(status=Generation.Status.FAILED)
    logged_in.post(f"/g/{edit.pk}/retry/")
    again = Generation.objects.exclude(pk=edit.pk).get()
    assert [r.width for r in again.references.all()] == [600, 600]


def test_the_zip_holds_the_references_and_the_manifest_names_them(logged_in, user):
    logged_in.post("/", {**EDIT, "reference_uploads": [picture()]})
    edit = Generation.objects.get()
    Generation.objects.filter(pk=edit.pk).update(status=Generation.Status.SUCCEEDED)
    response = logged_in.post("/bulk/", {"action": "zip", "ids": [edit.pk]})
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        name = f"wanxweb-{edit.pk}-reference-1.jpg"
        assert archive.read(name).startswith(b"\xff\xd8")
    assert manifest[0]["references"] == [
        {"image": 1, "width": 600, "height": 400, "file": name, "boxes": []}
    ]


def test_uploads_no_generation_took_are_dropped_after_a_day(user):
    token = references.accept_upload(user, picture())
    name = references.resolve(user, token).name
    assert references.purge_pending() == 0
    assert references.purge_pending(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert references.resolve(user, token) is None
    assert not default_storage.exists(name)


def test_the_detail_page_says_where_each_reference_came_from(logged_in, user, other_user):
    earlier = stored_picture(user)
    logged_in.post(
        "/", {**EDIT, "references": [f"g{earlier.pk}.0"], "reference_uploads": [picture()]}
    )
    edit = Generation.objects.exclude(pk=earlier.pk).get()
    body = " ".join(logged_in.get(f"/g/{edit.pk}/").content.decode().split())
    assert f'image 1: image 1 of <a href="/g/{earlier.pk}/">#{earlier.pk}</a>' in body
    assert "image 2: uploaded" in body
    assert f'src="/g/{edit.pk}/references/1/thumbnail/"' in body


# Boxes on reference images


def redraw_by(field: str) -> dict:
    return {"HX-Request": "true", "HX-Trigger-Name": field}


def boxes_in(body: str) -> list[str]:
    return re.findall(r'name="boxes" value="([^"]*)"', body)


def test_boxes_written_beside_each_reference_are_sent_one_entry_per_image(logged_in, user):
    earlier = stored_picture(user)  # 512×512, sent as it is
    tokens = [f"g{earlier.pk}.0", references.accept_upload(user, picture())]

    response = logged_in.post(
        "/", {**EDIT, "references": tokens, "boxes": ["", " 10, 20,300 ,200;0,0,600,400; "]}
    )

    assert response.status_code == 302
    edit = Generation.objects.exclude(pk=earlier.pk).get()
    assert [r.boxes for r in edit.references.all()] == [[], [[10, 20, 300, 200], [0, 0, 600, 400]]]
    parameters = edit.image_request().body(Region.BEIJING)["parameters"]
    assert parameters["bbox_list"] == [[], [[10, 20, 300, 200], [0, 0, 600, 400]]]
    assert metadata.reference_manifest(edit.references.last())["boxes"] == [
        [10, 20, 300, 200],
        [0, 0, 600, 400],
    ]
    for page in (f"/g/{edit.pk}/card/", f"/g/{edit.pk}/"):  # the card, the detail page
        assert "10,20,300,200; 0,0,600,400" in logged_in.get(page).content.decode()


def test_each_reference_says_the_pixels_its_boxes_are_measured_in(logged_in, user):
    large = stored_picture(user)
    large.images.update(width=4096, height=2048)  # sent at 2048 × 1024
    response = logged_in.get(f"/?reference=g{large.pk}.0")
    assert "in its 2048×1024 px" in response.content.decode()


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("10,20,300", "“10,20,300” is not a box: write its corners as x1,y1,x2,y2 in pixels."),
        ("10,20,601,200", "10,20,601,200 does not fit the 600×400 image: it takes x1 < x2 ≤ 600"),
        ("300,20,10,200", "300,20,10,200 does not fit the 600×400 image: it takes x1 < x2"),
        ("0,0,9,9; 1,1,9,9; 2,2,9,9", "At most 2 boxes an image; this has 3."),
    ],
)
def test_a_wrong_box_is_refused_at_the_references_and_nothing_is_lost(
    logged_in, user, written, words
):
    token = references.accept_upload(user, picture())
    response = logged_in.post("/", {**EDIT, "references": [token], "boxes": [written]})
    body = response.content.decode()
    assert response.status_code == 200 and not Generation.objects.exists()
    assert f"Image 1: {words}" in html.unescape(body)
    assert tokens_in(body) == [token] and boxes_in(body) == [written]


def test_a_redraw_keeps_each_references_boxes_and_removing_one_takes_its_boxes(logged_in, user):
    tokens = [references.accept_upload(user, picture()) for _ in range(2)]
    data = {**EDIT, "references": tokens, "boxes": ["1,1,50,50", "2,2,60,60"]}

    redrawn = logged_in.post("/", {**data, "n": "2"}, headers=redraw_by("n"))
    assert boxes_in(redrawn.content.decode()) == ["1,1,50,50", "2,2,60,60"]

    removed = logged_in.post(
        "/", {**data, "remove_reference": tokens[0]}, headers=redraw_by("remove_reference")
    )
    body = removed.content.decode()
    assert tokens_in(body) == tokens[1:] and boxes_in(body) == ["2,2,60,60"]


def test_a_model_without_boxes_keeps_them_unseen_for_the_way_back(logged_in, user):
    token = references.accept_upload(user, picture())
    data = {**EDIT, "references": [token], "boxes": ["1,1,50,50"], "drawn_for": EDIT["model"]}
    qwen = logged_in.post(
        "/", {**data, "model": "qwen-image-3.0"}, headers=redraw_by("model")
    ).content.decode()
    assert not Generation.objects.exists()
    assert '<input type="hidden" name="boxes" value="1,1,50,50">' in qwen
    assert "Boxes" not in qwen


def test_remix_and_retry_carry_the_boxes_over(logged_in, user):
    logged_in.post(
        "/",
        {**EDIT, "reference_uploads": [picture(), picture()]},
    )
    edit = Generation.objects.get()
    edit.references.filter(index=1).update(boxes=[[5, 6, 70, 80]])

    remix = logged_in.get(f"/?remix={edit.pk}").content.decode()
    assert boxes_in(remix) == ["", "5,6,70,80"]
    # Remixed with another image to use instead: it starts without boxes.
    other = stored_picture(user)
    instead = logged_in.get(f"/?remix={edit.pk}&reference=g{other.pk}.0").content.decode()
    assert tokens_in(instead) == [f"g{other.pk}.0"] and boxes_in(instead) == [""]

    Generation.objects.filter(pk=edit.pk).update(status=Generation.Status.FAILED)
    logged_in.post(f"/g/{edit.pk}/retry/")
    again = Generation.objects.exclude(pk__in=[edit.pk, other.pk]).get()
    assert [r.boxes for r in again.references.all()] == [[], [[5, 6, 70, 80]]]
