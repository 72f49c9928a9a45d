import io
import json
import re
import zipfile

import pytest
from django.core.files.storage import Storage
from PIL import Image

from gallery.metadata import download_name
from gallery.models import Board, Generation

from ..factories import finished_generation, make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


@pytest.fixture
def two(user, media_root):
    return (
        finished_generation(user, prompt="a lighthouse at dawn"),
        finished_generation(user, prompt="a harbour at night"),
    )


def test_a_list_page_offers_a_tick_per_finished_card(client, user, two):
    make_generation(user, status=Status.RUNNING, prompt="still running")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert body.count('form="bulk-form"') == 2
    assert "Download originals (ZIP)" in body


def test_the_zip_holds_the_originals_with_their_prompts_and_a_manifest(client, user, two):
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip", "ids": [g.pk for g in two]})

    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert "manifest.json" in names and len(names) == 3
    manifest = json.loads(archive.read("manifest.json"))
    assert {m["prompt"] for m in manifest} == {"a lighthouse at dawn", "a harbour at night"}
    for name in names:
        if name.endswith(".png"):
            with Image.open(io.BytesIO(archive.read(name))) as picture:
                assert picture.text["prompt"] in {"a lighthouse at dawn", "a harbour at night"}


def test_the_zip_leaves_out_what_the_user_may_not_see(client, user, other_user, two, media_root):
    bobs = finished_generation(other_user, prompt="bob's private")
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip", "ids": [two[0].pk, bobs.pk]})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "bob" not in archive.read("manifest.json").decode()
    assert len(archive.namelist()) == 2


def test_the_zip_is_sent_as_it_is_made_never_first_put_together_on_the_server(
    client, user, two, monkeypatch
):
    """However many people download at once, the server keeps no whole ZIP on disk or in memory:
    the answer starts before any image is read, and each is read as the download reaches it."""
    originals = {image.original.name: image for g in two for image in g.images.all()}
    read = []
    storage_open = Storage.open

    def open_and_note(storage, name, mode="rb"):
        if name in originals:
            read.append(name)
        return storage_open(storage, name, mode)

    monkeypatch.setattr(Storage, "open", open_and_note)
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip", "ids": [g.pk for g in two]})

    assert response.streaming and read == []
    assert response["Content-Type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="wanxweb-\d{8}-\d{6}\.zip"', response["Content-Disposition"]
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    assert sorted(read) == sorted(originals)
    assert sorted(archive.namelist()) == sorted(
        [download_name(image.generation, image) for image in originals.values()] + ["manifest.json"]
    )


def test_a_zip_too_big_for_one_request_is_refused_in_words(client, user, two, monkeypatch):
    monkeypatch.setattr("gallery.views.bulk.ZIP_MAX_BYTES", 10)
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip", "ids": [g.pk for g in two]}, follow=True)
    assert "Content-Disposition" not in response
    assert "more than one ZIP may hold (10\xa0bytes): pick fewer" in response.content.decode()


def test_bulk_delete_moves_only_what_the_user_may_delete(client, user, team, other_user, two):
    bobs_team_item = finished_generation(other_user, prompt="bob's team item", team=team)
    alices_team_item = finished_generation(user, prompt="alice's team item", team=team)
    running = make_generation(user, status=Status.RUNNING)
    client.force_login(other_user)  # a member: may delete his own only
    client.post(
        "/bulk/",
        {"action": "delete", "ids": [bobs_team_item.pk, alices_team_item.pk, two[0].pk]},
    )
    client.force_login(user)
    client.post("/bulk/", {"action": "delete", "ids": [two[1].pk, running.pk]})

    trashed = set(Generation.objects.exclude(deleted_at=None).values_list("pk", flat=True))
    assert trashed == {bobs_team_item.pk, two[1].pk}


def test_bulk_add_to_a_board(client, user, two):
    board = Board.objects.create(name="Favourites", owner=user)
    client.force_login(user)
    client.post("/bulk/", {"action": "board", "board": board.pk, "ids": [g.pk for g in two]})
    client.post("/bulk/", {"action": "board", "board": board.pk, "ids": [two[0].pk]})  # again
    assert board.items.count() == 2


def test_bulk_add_to_someone_elses_board_is_404(client, user, other_user, two):
    board = Board.objects.create(name="Bob's", owner=other_user)
    client.force_login(user)
    response = client.post("/bulk/", {"action": "board", "board": board.pk, "ids": [two[0].pk]})
    assert response.status_code == 404 and not board.items.exists()


def test_nothing_ticked_says_so(client, user):
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip"}, follow=True)
    assert "Tick the generations to act on first." in response.content.decode()


@pytest.mark.parametrize("ids", ["²", "99999999999999999999999", "-1", "1.0"])
def test_odd_ids_are_ignored_not_a_crash(client, user, ids):
    client.force_login(user)
    response = client.post("/bulk/", {"action": "zip", "ids": [ids]}, follow=True)
    assert "Tick the generations to act on first." in response.content.decode()


def test_an_odd_board_is_404_not_a_crash(client, user, two):
    client.force_login(user)
    response = client.post("/bulk/", {"action": "board", "board": "abc", "ids": [two[0].pk]})
    assert response.status_code == 404


def test_a_refreshing_card_in_a_list_keeps_its_tick_box_when_done(client, user, two):
    client.force_login(user)
    body = client.get(f"/g/{two[0].pk}/card/?listed=1").content.decode()
    assert 'form="bulk-form"' in body
    assert 'form="bulk-form"' not in client.get(f"/g/{two[0].pk}/card/").content.decode()
