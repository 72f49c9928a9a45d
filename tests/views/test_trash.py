from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from gallery.models import Generation
from gallery.tasks import purge_trash

from ..factories import finished_generation, make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


@pytest.fixture
def done(user, media_root):
    return finished_generation(user)


def test_deleting_moves_to_the_trash_and_hides_it_everywhere(client, user, done):
    client.force_login(user)
    client.post(f"/g/{done.pk}/delete/")

    for url in [f"/g/{done.pk}/", f"/g/{done.pk}/card/", f"/g/{done.pk}/images/0/original/"]:
        assert client.get(url).status_code == 404
    assert done.prompt not in client.get("/").content.decode()
    trash = client.get("/trash/").content.decode()
    assert done.prompt in trash and "Restore" in trash


def test_the_author_restores_from_the_trash(client, user, done):
    client.force_login(user)
    client.post(f"/g/{done.pk}/delete/")
    client.post(f"/g/{done.pk}/restore/")
    assert client.get(f"/g/{done.pk}/").status_code == 200


def test_the_team_owner_may_delete_a_team_item_into_its_authors_trash(
    client, team, user, other_user
):
    bobs = make_generation(other_user, team=team, status=Status.SUCCEEDED)
    client.force_login(user)
    client.post(f"/g/{bobs.pk}/delete/")
    client.force_login(other_user)
    assert bobs.prompt in client.get("/trash/").content.decode()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_a_member_or_viewer_cannot_delete_someone_elses_team_item(client, team, user, who):
    alices = make_generation(user, team=team, status=Status.SUCCEEDED)
    client.force_login(team.viewer if who == "viewer" else team.memberships.get(role="member").user)
    client.post(f"/g/{alices.pk}/delete/")
    alices.refresh_from_db()
    assert alices.deleted_at is None


def test_nobody_else_can_see_or_restore_a_trashed_generation(client, done, team, other_user):
    Generation.objects.filter(pk=done.pk).update(deleted_at=timezone.now(), team=team)
    client.force_login(other_user)  # a member of the team it was shared with
    assert client.post(f"/g/{done.pk}/restore/").status_code == 404
    assert done.prompt not in client.get("/trash/").content.decode()


def test_a_generation_in_progress_cannot_be_deleted(client, user):
    running = make_generation(user, status=Status.RUNNING)
    client.force_login(user)
    client.post(f"/g/{running.pk}/delete/")
    running.refresh_from_db()
    assert running.deleted_at is None


def test_the_daily_purge_removes_rows_and_files_after_30_days(done, user):
    kept = make_generation(user, deleted_at=timezone.now() - timedelta(days=29))
    Generation.objects.filter(pk=done.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    image = done.images.get()

    assert purge_trash() >= 1

    assert not Generation.objects.filter(pk=done.pk).exists()
    assert Generation.objects.filter(pk=kept.pk).exists()
    assert not default_storage.exists(image.original.name)
    assert not default_storage.exists(image.thumbnail.name)


def test_the_trash_says_when_in_words_a_person_reads(client, user, done):
    client.force_login(user)
    client.post(f"/g/{done.pk}/delete/")
    assert "Deleted now" in client.get("/trash/").content.decode()
    Generation.objects.filter(pk=done.pk).update(deleted_at=timezone.now() - timedelta(hours=3))
    assert "Deleted 3\xa0hours ago" in client.get("/trash/").content.decode()


def test_the_trash_shows_what_it_holds_to_its_owner_alone(client, user, other_user, done):
    Generation.objects.filter(pk=done.pk).update(deleted_at=timezone.now())
    thumbnail = f"/trash/{done.pk}/images/0/thumbnail/"
    client.force_login(user)
    assert f'src="{thumbnail}"' in client.get("/trash/").content.decode()
    assert client.get(thumbnail).status_code in (200, 302)  # the file, or a presigned URL for it
    assert client.get(f"/g/{done.pk}/images/0/thumbnail/").status_code == 404  # trashed

    client.force_login(other_user)
    assert client.get(thumbnail).status_code == 404
    client.force_login(user)
    client.post(f"/g/{done.pk}/restore/")
    assert client.get(thumbnail).status_code == 404  # out of the trash: its usual address
