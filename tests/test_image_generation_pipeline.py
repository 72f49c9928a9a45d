"""The new protocol end to end: a real qcluster and the simulator, created through the form.
A wan2.7-image edit with two reference images (one picked from the gallery, one uploaded), and
a wan2.7-image-pro 4K text-to-image."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.dashscope.simulator.images import reference_boxes
from gallery.models import Generation

from .conftest import served_bytes
from .factories import finished_generation, store_image
from .harness import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
BLUE, RED = (20, 40, 230), (230, 20, 20)


def upload(colour, size=(600, 400), name="sea.png") -> SimpleUploadedFile:
    picture = io.BytesIO()
    Image.new("RGB", size, colour).save(picture, "PNG")
    return SimpleUploadedFile(name, picture.getvalue(), content_type="image/png")


def finished_one(**fields) -> Generation:
    wait_until(
        lambda: (
            Generation.objects.filter(status__in=Generation.ACTIVE).count() == 0
            and Generation.objects.filter(**fields).exists()
        ),
        60,
        lambda: list(Generation.objects.values_list("model", "status", "error_code")),
    )
    return Generation.objects.get(**fields)


def stored_picture(client, generation: Generation) -> Image.Image:
    response = client.get(f"/g/{generation.pk}/images/0/original/")
    return Image.open(io.BytesIO(served_bytes(response))).convert("RGB")


def test_a_wan27_edit_with_two_references_is_stored_with_them_in_order(qcluster, client, user):
    client.force_login(user)
    # A blue picture of the user's own, made earlier, to pick from the gallery.
    earlier = finished_generation(user, images=0, status=Status.SUCCEEDED)
    blue = io.BytesIO()
    Image.new("RGB", (512, 512), BLUE).save(blue, "PNG")
    store_image(earlier, 0, data=blue.getvalue(), width=512, height=512)

    response = client.post(
        "/",
        {
            "model": "wan2.7-image",
            "prompt": "the boat of image 1 on the sea of image 2",
            "size": "1K",
            "n": 1,
            "references": [f"g{earlier.pk}.0"],
            "reference_uploads": [upload(RED)],
        },
    )
    assert response.status_code == 302, response.context["form"].errors

    edit = finished_one(model="wan2.7-image")
    assert edit.status == Status.SUCCEEDED, edit.error_text
    references = list(edit.references.all())
    assert [reference.source_id for reference in references] == [earlier.images.get().pk, None]
    assert (references[1].width, references[1].height) == (600, 400)
    picture = stored_picture(client, edit)
    assert picture.width > picture.height  # 1K in the aspect of the last reference
    centres = [
        picture.getpixel(((a + c) // 2, (b + d) // 2))
        for a, b, c, d in reference_boxes(*picture.size, 2)
    ]
    assert [max(range(3), key=pixel.__getitem__) for pixel in centres] == [2, 0]  # blue, red
    for index in (0, 1):  # each reference is served to its author, as it was sent
        response = client.get(f"/g/{edit.pk}/references/{index}/")
        assert served_bytes(response).startswith(b"\xff\xd8")  # a JPEG


def test_a_wan27_pro_4k_text_to_image_is_stored_at_4k(qcluster, client, user):
    client.force_login(user)
    response = client.post(
        "/", {"model": "wan2.7-image-pro", "prompt": "a salt flat at noon", "size": "4K", "n": 1}
    )
    assert response.status_code == 302

    generation = finished_one(model="wan2.7-image-pro")
    assert generation.status == Status.SUCCEEDED, generation.error_text
    image = generation.images.get()
    assert (image.width, image.height) == (4096, 4096)
    assert stored_picture(client, generation).size == (4096, 4096)
