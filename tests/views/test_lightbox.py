"""An image's own page, which is also the lightbox's content, and the tiles that open it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Board, Generation

from ..factories import PROMPT_FORM, finished_generation, make_generation, store_image

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def image_page(client, generation, index: int, **headers) -> str:
    response = client.get(f"/g/{generation.pk}/images/{index}/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_image_page_is_a_page_and_its_htmx_answer_the_lightbox_alone(client, user, media_root):
    generation = finished_generation(user, prompt="three lighthouses", n=3, seed=40)
    Board.objects.create(name="Harbour picks", owner=user)
    client.force_login(user)

    page = image_page(client, generation, 1)
    assert "<html" in page and "data-lightbox-page" in page
    assert f'src="/g/{generation.pk}/images/1/original/"' in page
    assert "image 2 of 3" in page and "seed 41" in page  # each image's own seed
    assert f'rel="prev" href="/g/{generation.pk}/images/0/"' in page
    assert f'rel="next" href="/g/{generation.pk}/images/2/"' in page
    assert f'href="/g/{generation.pk}/images/1/download/" download' in page
    assert f'href="/?reference=g{generation.pk}.1"' in page
    assert f'href="/?remix={generation.pk}&amp;same_seed=1"' in page
    assert "Harbour picks" in page and 'aria-label="Favourite"' in page

    fragment = image_page(client, generation, 1, **HTMX)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div class="lightbox"')
    first, last = image_page(client, generation, 0), image_page(client, generation, 2)
    assert 'rel="prev"' not in first and 'rel="next"' not in last


def test_an_image_not_stored_has_no_page(client, user, media_root):
    generation = finished_generation(user, n=2, images=1)
    client.force_login(user)
    assert client.get(f"/g/{generation.pk}/images/1/").status_code == 404
    assert client.get(f"/g/{generation.pk}/images/7/").status_code == 404
    assert "image 1 of 1" not in image_page(client, generation, 0)  # one stored: no count


def test_tiles_keep_each_images_aspect_and_open_its_page(client, user, media_root):
    wide = make_generation(user, status=Generation.Status.SUCCEEDED, width=1280, height=720)
    store_image(wide, width=128, height=72)
    client.force_login(user)
    body = client.get("/").content.decode()
    tile = re.search(r'<figure class="tile ([^"]+)">\s*<a class="tile-image" href="([^"]+)"', body)
    assert tile[1] == "ar-7" and tile[2] == f"/g/{wide.pk}/images/0/"  # 16:9, 2^(7/8) ≈ 1.83
    assert "data-lightbox-group" in body


def test_a_queued_generation_shows_a_placeholder_per_image_with_its_place_and_usual_time(
    client, user, other_user
):
    now = timezone.now()
    for seconds in (4, 6, 30):  # recent tasks of the model: the usual time is their median
        make_generation(
            other_user,
            status=Generation.Status.SUCCEEDED,
            submitted_at=now - timedelta(minutes=5),
            completed_at=now - timedelta(minutes=5) + timedelta(seconds=seconds),
        )
    make_generation(other_user, created_at=now - timedelta(seconds=20))  # ahead of alice's
    make_generation(other_user, model="wan2.6-t2i", created_at=now - timedelta(seconds=30))
    mine = make_generation(user, n=3, width=720, height=1280, created_at=now)
    client.force_login(user)

    body = client.get(f"/g/{mine.pk}/card/?listed=1").content.decode()
    assert body.count('class="tile placeholder ar-m7"') == 3  # 9:16, in the asked aspect
    assert "1 ahead in the queue" in body  # not the other model's
    assert "usually 6 s" in body
    mine.status = Generation.Status.RUNNING
    mine.save()
    body = client.get(f"/g/{mine.pk}/card/?listed=1").content.decode()
    assert "ahead in the queue" not in body and "usually 6 s" in body


def test_a_team_gallery_has_the_prompt_form_for_its_members_creating_into_the_team(
    client, team, other_user
):
    client.force_login(other_user)
    url = f"/teams/{team.pk}/gallery/"
    page = client.get(url).content.decode()
    assert f'action="{url}"' in page and f'<option value="{team.pk}" selected>' in page

    headers = {**HTMX, "HX-Current-URL": f"http://testserver{url}"}
    answer = client.post(url, {**PROMPT_FORM, "team": team.pk}, headers=headers).content.decode()
    generation = Generation.objects.get()
    assert generation.team == team and generation.owner == other_user
    assert 'hx-swap-oob="afterbegin:#history"' in answer  # on top of the team's listing

    client.force_login(team.viewer)
    assert 'id="prompt-form"' not in client.get(url).content.decode()
