"""The card fragment, the detail page and the stored image files: who may see what."""

import re
from datetime import timedelta

import pytest
import requests
from django.core.files.base import ContentFile
from django.utils import timezone

from gallery.models import Favourite, GeneratedImage, Generation, ReviewMark

from ..conftest import make_generation, served_bytes
from ..scale_out import object_storage

pytestmark = pytest.mark.django_db
FILE_SYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
S3_STORAGE = "storages.backends.s3.S3Storage"


@pytest.fixture
def done(user, media_root):
    generation = make_generation(
        user,
        status=Generation.Status.SUCCEEDED,
        actual_prompt="a lighthouse at dawn, soft light",
        task_id="task-123",
        request_id="req-456",
    )
    image = GeneratedImage(generation=generation, index=0, width=1024, height=1024, seed=42)
    image.original.save("0.png", ContentFile(b"\x89PNG original"), save=False)
    image.thumbnail.save("0.thumb.webp", ContentFile(b"RIFF thumb"), save=False)
    image.save()
    return generation


def urls(generation):
    return [
        f"/g/{generation.pk}/",
        f"/g/{generation.pk}/card/",
        f"/g/{generation.pk}/images/0/original/",
        f"/g/{generation.pk}/images/0/thumbnail/",
    ]


def test_the_owner_sees_every_page_and_file(client, user, done):
    client.force_login(user)
    *pages, original, thumbnail = urls(done)
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert served_bytes(client.get(original)) == b"\x89PNG original"
    assert served_bytes(client.get(thumbnail)) == b"RIFF thumb"


def test_another_user_gets_404_everywhere(client, other_user, done):
    client.force_login(other_user)
    for url in urls(done):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_login(client, done):
    for url in urls(done):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_a_done_card_shows_thumbnails_linked_to_originals_and_stops_polling(client, user, done):
    client.force_login(user)
    body = client.get(f"/g/{done.pk}/card/").content.decode()
    assert f'href="/g/{done.pk}/images/0/original/"' in body
    assert f'src="/g/{done.pk}/images/0/thumbnail/"' in body
    assert "a lighthouse at dawn, soft light" in body
    assert "hx-trigger" not in body


def test_an_active_card_looks_again_just_after_the_next_check_of_its_task(client, user):
    client.force_login(user)
    poll_at = timezone.now() + timedelta(seconds=1.2)
    generation = make_generation(user, status=Generation.Status.RUNNING, poll_at=poll_at)
    asked = timezone.now()
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    answered = timezone.now()
    assert f'hx-get="/g/{generation.pk}/card/"' in body and "Running" in body
    delay = timedelta(milliseconds=int(re.search(r"delay:(\d+)ms", body)[1]))
    # 150 ms after the check, counted from when the card was rendered (to the millisecond).
    after, rounding = timedelta(milliseconds=150), timedelta(milliseconds=1)
    assert poll_at - answered + after - rounding <= delay
    assert delay <= poll_at - asked + after + rounding


def test_a_card_being_saved_looks_again_soon(client, user):
    generation = make_generation(user, status=Generation.Status.DOWNLOADING)
    client.force_login(user)
    assert "delay:250ms" in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_a_queued_card_says_it_waits_here_not_at_dashscope(client, user):
    generation = make_generation(user)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Queued here" in body and "delay:1000ms" in body


def test_a_card_long_queued_looks_less_often(client, user):
    """It waits for a slot that a whole task's run frees: asking every second only costs."""
    generation = make_generation(user)
    Generation.objects.filter(pk=generation.pk).update(
        created_at=timezone.now() - timedelta(seconds=6)
    )
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Queued here" in body and "delay:3000ms" in body


def test_an_active_card_reloads_itself_with_three_queries(
    client, user, django_assert_max_num_queries
):
    """Every open card asks every second or so: the session, the user and the card, no more."""
    generation = make_generation(user, status=Generation.Status.RUNNING)
    client.force_login(user)
    with django_assert_max_num_queries(3):
        assert "Running" in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_a_reloaded_team_card_keeps_the_review_counts_and_your_star(client, team, user, other_user):
    generation = make_generation(other_user, team=team, status=Generation.Status.SUCCEEDED)
    ReviewMark.objects.create(generation=generation, user=user, mark=ReviewMark.Mark.PICKED)
    ReviewMark.objects.create(generation=generation, user=other_user, mark=ReviewMark.Mark.PICKED)
    ReviewMark.objects.create(generation=generation, user=team.viewer, mark="rejected")
    Favourite.objects.create(generation=generation, user=user)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/", headers={"HX-Request": "true"}).content.decode()
    assert "✓ 2 ✗ 1" in body and 'aria-pressed="true"' in body
    assert f"by {other_user.username}" in body


def test_a_failed_card_explains_in_plain_words_and_shows_dashscopes_code(client, user):
    generation = make_generation(
        user,
        status=Generation.Status.FAILED,
        error_code="DataInspectionFailed",
        error_message="Input data may contain inappropriate content.",
    )
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "content check flagged the prompt" in body
    assert (
        "DataInspectionFailed" in body and "Input data may contain inappropriate content." in body
    )


def test_the_detail_page_lists_every_parameter(client, user, done):
    client.force_login(user)
    body = client.get(f"/g/{done.pk}/").content.decode()
    for text in [
        "a lighthouse at dawn",
        "wanx2.1-t2i-turbo",
        "1024×1024",
        "42",
        "task-123",
        "req-456",
    ]:
        assert text in body, text


def test_the_original_is_served_privately(client, user, done):
    client.force_login(user)
    response = client.get(f"/g/{done.pk}/images/0/original/")
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


def test_nginx_sends_a_local_file_when_asked_to(local_files, client, user, done, settings):
    settings.X_ACCEL_REDIRECT = True
    client.force_login(user)
    response = client.get(f"/g/{done.pk}/images/0/original/")
    assert response["X-Accel-Redirect"] == f"/protected-media/{done.images.get().original.name}"
    assert response["Content-Type"] == "image/png" and response.content == b""


def test_nginx_is_never_asked_for_an_image_someone_may_not_see(
    local_files, client, other_user, done, settings
):
    settings.X_ACCEL_REDIRECT = True
    client.force_login(other_user)
    response = client.get(f"/g/{done.pk}/images/0/original/")
    assert response.status_code == 404 and not response.has_header("X-Accel-Redirect")


def test_an_image_in_a_bucket_is_a_redirect_to_a_signed_url_that_lapses(
    in_a_bucket, client, user, done
):
    client.force_login(user)
    response = client.get(f"/g/{done.pk}/images/0/thumbnail/")
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
    in_a_bucket, client, other_user, done
):
    client.force_login(other_user)
    response = client.get(f"/g/{done.pk}/images/0/original/")
    assert response.status_code == 404 and not response.has_header("Location")


def test_a_missing_image_is_404(client, user, done):
    client.force_login(user)
    assert client.get(f"/g/{done.pk}/images/3/original/").status_code == 404
