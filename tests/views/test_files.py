"""The files: a stored image served only to who may see it (from local files, through nginx or
as a presigned bucket URL), and the original downloaded with its parameters written into it."""

import io
import json

import pytest
import requests
from PIL import Image

from gallery.models import GeneratedImage, Generation

from ..conftest import served_bytes
from ..factories import store_image
from ..scale_out import object_storage

pytestmark = pytest.mark.django_db
FILE_SYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
S3_STORAGE = "storages.backends.s3.S3Storage"


def urls(generation):
    return [
        f"/g/{generation.pk}/",
        f"/g/{generation.pk}/card/",
        f"/g/{generation.pk}/images/0/original/",
        f"/g/{generation.pk}/images/0/thumbnail/",
    ]


def test_the_owner_sees_every_page_and_file(client, user, stored):
    client.force_login(user)
    *pages, original, thumbnail = urls(stored)
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert served_bytes(client.get(original)) == b"\x89PNG original"
    assert served_bytes(client.get(thumbnail)) == b"RIFF thumb"


def test_the_original_is_served_privately(client, user, stored):
    client.force_login(user)
    response = client.get(f"/g/{stored.pk}/images/0/original/")
    assert served_bytes(response) == b"\x89PNG original"
    assert response["Cache-Control"].startswith("private")


@pytest.fixture
def local_files(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": FILE_SYSTEM_STORAGE}}


@pytest.fixture(scope="module")
def s3_server():
    with object_storage() as storage:
        yield storage


@pytest.fixture
def in_a_bucket(s3_server, settings, monkeypatch):
    """Object storage as settings.py sets it up when AWS_STORAGE_BUCKET_NAME is given."""
    for name, value in s3_server.items():
        monkeypatch.setenv(name, value)  # the keys, which boto3 reads from the environment
        setattr(settings, name, value)
    settings.AWS_QUERYSTRING_EXPIRE = 300
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": S3_STORAGE}}
    return s3_server


def test_nginx_sends_a_local_file_when_asked_to(local_files, client, user, stored, settings):
    settings.X_ACCEL_REDIRECT = True
    client.force_login(user)
    response = client.get(f"/g/{stored.pk}/images/0/original/")
    assert response["X-Accel-Redirect"] == f"/protected-media/{stored.images.get().original.name}"
    assert response["Content-Type"] == "image/png" and response.content == b""


def test_nginx_is_never_asked_for_an_image_someone_may_not_see(
    local_files, client, other_user, stored, settings
):
    settings.X_ACCEL_REDIRECT = True
    client.force_login(other_user)
    response = client.get(f"/g/{stored.pk}/images/0/original/")
    assert response.status_code == 404 and not response.has_header("X-Accel-Redirect")


def test_an_image_in_a_bucket_is_a_redirect_to_a_signed_url_that_lapses(
    in_a_bucket, client, user, stored
):
    client.force_login(user)
    response = client.get(f"/g/{stored.pk}/images/0/thumbnail/")
    assert response.status_code == 302
    presigned = response["Location"]
    assert presigned.startswith(in_a_bucket["AWS_S3_ENDPOINT_URL"])
    # Signed for the bucket's region and for 300 s (moto checks neither: the URL must say so).
    assert f"%2F{in_a_bucket['AWS_S3_REGION_NAME']}%2Fs3%2Faws4_request" in presigned
    assert "X-Amz-Expires=300" in presigned and "X-Amz-Signature=" in presigned
    assert response["Cache-Control"] == "private, max-age=150"
    assert requests.get(presigned, timeout=10).content == b"RIFF thumb"
    # The bucket itself answers no one without a signature.
    assert requests.get(presigned.split("?")[0], timeout=10).status_code == 403


def test_a_bucket_url_is_never_given_to_someone_who_may_not_see_it(
    in_a_bucket, client, other_user, stored
):
    client.force_login(other_user)
    response = client.get(f"/g/{stored.pk}/images/0/original/")
    assert response.status_code == 404 and not response.has_header("Location")


def test_a_missing_image_is_404(client, user, stored):
    client.force_login(user)
    assert client.get(f"/g/{stored.pk}/images/3/original/").status_code == 404


def download(client, generation, index=0):
    return client.get(f"/g/{generation.pk}/images/{index}/download/")


def test_the_download_is_an_attachment_carrying_the_parameters(client, user, done):
    client.force_login(user)

    response = download(client, done, 1)

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        f'attachment; filename="wanxweb-{done.pk}-2-a-lighthouse-at-dawn.png"'
    )
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.text["prompt"] == "a lighthouse at dawn"
        assert image.text["seed"] == "43"
        assert json.loads(image.text["wanxweb"])["request_id"] == "req-456"


def test_a_team_member_downloads_a_team_generation(client, other_user, team, done):
    Generation.objects.filter(pk=done.pk).update(team=team)
    client.force_login(other_user)
    assert download(client, done).status_code == 200


def test_an_original_that_is_not_a_png_is_served_as_stored(client, user, done):
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg, "JPEG")
    store_image(done, 2, data=jpeg.getvalue(), name="2.jpg")
    client.force_login(user)

    response = download(client, done, 2)

    assert b"".join(response.streaming_content) == jpeg.getvalue()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].endswith('-3-a-lighthouse-at-dawn.jpg"')


def test_an_image_that_failed_has_nothing_to_download(client, user, done):
    GeneratedImage.objects.create(generation=done, index=2, error_code="DownloadFailed")
    client.force_login(user)
    assert download(client, done, 2).status_code == 404
    assert download(client, done, 7).status_code == 404
