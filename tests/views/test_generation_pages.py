"""The card fragment, the detail page and the stored image files: who may see what."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from gallery.models import Favourite, GeneratedImage, Generation, ReviewMark

from ..conftest import make_generation

pytestmark = pytest.mark.django_db


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
    for url in urls(done):
        assert client.get(url).status_code == 200, url


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
    generation = make_generation(
        user,
        status=Generation.Status.RUNNING,
        next_check_at=timezone.now() + timedelta(seconds=1.2),
    )
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert f'hx-get="/g/{generation.pk}/card/"' in body and "Running" in body
    delay = int(re.search(r"delay:(\d+)ms", body)[1])
    assert 850 <= delay <= 1350  # 150 ms after the check, less the time this request took


def test_a_card_being_saved_looks_again_soon(client, user):
    generation = make_generation(user, status=Generation.Status.DOWNLOADING)
    client.force_login(user)
    assert "delay:250ms" in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_a_queued_card_says_it_waits_here_not_at_dashscope(client, user):
    generation = make_generation(user)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Queued here" in body and "delay:1000ms" in body


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
    assert b"".join(response.streaming_content) == b"\x89PNG original"
    assert response["Cache-Control"].startswith("private")


def test_a_missing_image_is_404(client, user, done):
    client.force_login(user)
    assert client.get(f"/g/{done.pk}/images/3/original/").status_code == 404
