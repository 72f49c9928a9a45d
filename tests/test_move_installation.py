"""`manage.py move_installation`: an SQLite installation and its media folder move into
PostgreSQL and a bucket, run as an operator runs it, with the new configuration in the
environment. The old installation is made by `migrate` and the models, as the app makes one."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import environ
import psycopg
import pytest
from django.apps import apps
from django.db import connections

from tests.scale_out import DEFAULT_DATABASE_URL, object_storage

from .conftest import embedded_environment, run_manage, slow
from .harness import ROOT

pytestmark = slow

PASSWORD = "keeper-of-the-light-2026"

# The old installation, migrated: one of everything, ids and foreign keys a fresh `migrate`
# would not give, a file that went missing, and a q2 message still queued.
POPULATE = """
import io
from datetime import timedelta

from axes.models import AccessAttempt
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task
from PIL import Image

from gallery.models import *


def png(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


call_command("migrate", verbosity=0)
ContentType.objects.filter(model="lease").delete()  # its next id is one migrate never gives
ContentType.objects.clear_cache()
a_while_ago = timezone.now() - timedelta(days=3)
alice = User.objects.create_user("alice", password=PASSWORD, is_staff=True)
bob = User.objects.create_user("bob")
carol = User.objects.create_user("carol")
editors = Group.objects.create(name="editors")
editors.permissions.add(Permission.objects.get(codename="change_generation"))
alice.groups.add(editors)
bob.user_permissions.add(Permission.objects.get(codename="view_board"))
team = Team.create("Lighthouse keepers", owner=alice)
team.memberships.create(user=bob, role=Role.MEMBER)
Invitation.objects.create(team=team, role=Role.VIEWER, created_by=alice, accepted_by=carol)
Preferences.objects.create(user=carol, language="zh-hans", theme="dark")

request = dict(model="wanx2.1-t2i-turbo", width=1024, height=1024, prompt="a lighthouse")
done = Generation.objects.create(
    owner=alice, team=team, status="SUCCEEDED", n=2, seed=7, task_seconds=3.25,
    results=[{"url": "https://example.com/0.png", "seed": 7}], completed_at=a_while_ago,
    **request,
)
for index in range(2):
    image = GeneratedImage(generation=done, index=index, width=8, height=8, bytes=70)
    image.original.save(f"generations/{done.pk}/{index}.png", png((200, 90 * index, 0)), False)
    image.thumbnail.save(f"generations/{done.pk}/{index}-thumb.png", png((0, 0, 9)), False)
    image.save()
reference = ReferenceImage(generation=done, index=0, width=8, height=8, source=image)
reference.image.save(f"generations/{done.pk}/references/0.jpg", png((0, 90, 200)), False)
reference.thumbnail.save(f"generations/{done.pk}/references/0.thumb.webp", png((1, 1, 1)), False)
reference.save()
Generation.objects.create(owner=bob, status="FAILED", error_code="DataInspectionFailed", **request)
Generation.objects.create(owner=carol, **request).delete()  # a gap in the ids
Generation.objects.create(owner=carol, status="QUEUED", deleted_at=a_while_ago, **request)
lost = Generation.objects.create(owner=bob, parent=done, status="SUCCEEDED", **request)
GeneratedImage.objects.create(generation=lost, index=0, original=f"generations/{lost.pk}/0.png")

board = Board.objects.create(team=team, name="Keepers' picks")
BoardItem.objects.create(board=board, image=done.images.first(), added_by=bob)
Comment.objects.create(generation=done, author=bob, body="The beam is just right.")
Favourite.objects.create(user=carol, generation=done)
ReviewMark.objects.create(generation=done, user=bob, mark="picked")
UsageEntry.objects.create(  # prices to the sixth decimal, as the ledger keeps them
    generation=done, user=alice, team=team, model=done.model, region="cn-beijing", images=2,
    unit_price="0.562065", cost="1.124130", billed_at=a_while_ago,
)
Budget.objects.create(
    team=team, unit="cny", limit="120.50", warned_percent=80, warned_for=a_while_ago.date()
)
Budget.objects.create(user=bob, unit="images", limit=40)
Lease.objects.create(name="dispatcher", holder="old-host", expires_at=a_while_ago)
Outage.objects.create(
    started_at=a_while_ago, ended_at=a_while_ago + timedelta(minutes=4), cause="503", failed_calls=9
)
LogEntry.objects.create(
    user=alice, content_type=ContentType.objects.get_for_model(Lease), object_id="dispatcher",
    object_repr="dispatcher", action_flag=ADDITION,
)
session = SessionStore()
session["_auth_user_id"] = str(alice.pk)
session.create()
attempt = AccessAttempt.objects.create(
    username="bob", ip_address="192.0.2.1", user_agent="curl", get_data="", post_data="",
    failures_since_start=2,
)
AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=a_while_ago)  # auto_now_add
Schedule.objects.filter(func="gallery.tasks.purge_trash").update(next_run=a_while_ago)
async_task("gallery.tasks.kick")
"""

# The app on the new configuration: alice logs in, then a generation and a user are created;
# all rolled back, so the moved rows stay as they arrived for the other tests.
USE_THE_NEW_INSTALLATION = """
import json

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from gallery.models import Generation

with transaction.atomic():
    answer = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    generation = Generation.objects.create(
        owner=User.objects.get(username="bob"), model="wanx2.1-t2i-turbo", prompt="new",
        width=1024, height=1024,
    )
    user = User.objects.create_user("dave")
    print(json.dumps({"login": [answer.status_code, answer.get("Location")],
                      "generation": generation.pk, "user": user.pk}))
    transaction.set_rollback(True)
"""


def environment(**settings: str) -> dict[str, str]:
    """This machine's environment without any database, broker or storage of its own."""
    return {"SECRET_KEY": "move-installation-test-" + "k" * 40, **embedded_environment(**settings)}


def run_script(script: str, env: dict[str, str]) -> str:
    done = run_manage("shell", "-c", f"PASSWORD = {PASSWORD!r}\n{script}", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Installation:
    database: Path
    media: Path
    env: dict[str, str]  # its configuration


@contextmanager
def scratch_database() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own; yields its DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    server = urlsplit(url if url.startswith("postgres") else DEFAULT_DATABASE_URL)
    name = f"wanxweb_move_{uuid.uuid4().hex[:12]}"
    admin = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def database_alias(alias: str, url: str) -> Iterator[None]:
    """A connection of this test process to another database, for reading its rows."""
    connections.databases[alias] = {
        **connections.databases["default"],
        **environ.Env.db_url_config(url),
        "OPTIONS": {},
    }
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.databases[alias]


def stored_models() -> list:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def rows_of(model, alias: str) -> list[tuple]:
    return list(model._base_manager.using(alias).order_by("pk").values_list())


def bucket_client(storage: dict[str, str]):
    return boto3.client(
        "s3",
        endpoint_url=storage["AWS_S3_ENDPOINT_URL"],
        region_name=storage["AWS_S3_REGION_NAME"],
        aws_access_key_id=storage["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=storage["AWS_SECRET_ACCESS_KEY"],
    )


def bucket_files(storage: dict[str, str]) -> dict[str, bytes]:
    client = bucket_client(storage)
    bucket = storage["AWS_STORAGE_BUCKET_NAME"]
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


@pytest.fixture(scope="module")
def old_installation(tmp_path_factory) -> Installation:
    folder = tmp_path_factory.mktemp("old")
    database, media = folder / "db.sqlite3", folder / "media"
    env = environment(
        DATABASE_URL=f"sqlite:///{database}", MEDIA_ROOT=str(media), VAR_DIR=str(folder)
    )
    run_script(POPULATE, env)
    return Installation(database, media, env)


@dataclass
class Move:
    output: str  # stdout and stderr
    failed_first: str  # those of a first run that failed on a row
    stored_before: str  # the file the bucket held whole before the move
    new_env: dict[str, str]
    storage: dict[str, str]


def move(database: Path, media: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_manage(
        "move_installation", f"--from-database={database}", f"--from-media={media}", env=env
    )


def changed_copy(old: Installation, path: Path, sql: str) -> None:
    path.write_bytes(old.database.read_bytes())
    with sqlite3.connect(path) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def moved(old_installation, django_db_blocker, tmp_path_factory) -> Iterator[Move]:
    """The old installation moved into a new database where a first run failed on a row
    (SQLite does not enforce max_length, PostgreSQL does), and into a bucket that already held
    one of its files and half of another, as a run interrupted while copying files leaves it."""
    old, folder = old_installation, tmp_path_factory.mktemp("failing")
    too_long = "UPDATE gallery_generation SET model = printf('%.50c', 'x') WHERE status = 'FAILED'"
    changed_copy(old, folder / "db.sqlite3", too_long)
    with scratch_database() as url, object_storage() as storage:
        new_env = environment(DATABASE_URL=url, VAR_DIR=str(old.database.parent), **storage)
        failed = move(folder / "db.sqlite3", folder, new_env)
        assert failed.returncode == 1, failed.stdout + failed.stderr

        client, bucket = bucket_client(storage), storage["AWS_STORAGE_BUCKET_NAME"]
        images = sorted(str(path.relative_to(old.media)) for path in old.media.rglob("*.png"))
        whole, half = images[:2]
        client.put_object(Bucket=bucket, Key=whole, Body=(old.media / whole).read_bytes())
        client.put_object(Bucket=bucket, Key=half, Body=(old.media / half).read_bytes()[:10])
        done = move(old.database, old.media, new_env)
        assert done.returncode == 0, done.stdout + done.stderr

        with django_db_blocker.unblock(), database_alias("old", old.env["DATABASE_URL"]):
            with database_alias("new", url):
                yield Move(done.stdout + done.stderr, failed.stderr, whole, new_env, storage)


def test_a_run_that_fails_on_a_row_keeps_none_and_the_next_one_starts_over(moved):
    # Had it kept a row, the next run would have refused; the tests below check that one.
    assert "Copying the rows failed, and none was kept" in moved.failed_first
    assert "value too long for type character varying(40)" in moved.failed_first


def test_every_row_arrives_with_its_id_and_fields(moved):
    with_rows = set()
    for model in stored_models():
        if model._meta.label == "django_q.OrmQ":
            continue
        old_rows = rows_of(model, "old")
        assert rows_of(model, "new") == old_rows, model._meta.label
        if old_rows:
            with_rows.add(model._meta.label)

    gallery = {model._meta.label for model in apps.get_app_config("gallery").get_models()}
    assert with_rows >= gallery | {
        "auth.User",
        "auth.Group",
        "auth.User_groups",
        "auth.User_user_permissions",
        "auth.Group_permissions",
        "auth.Permission",
        "contenttypes.ContentType",
        "admin.LogEntry",
        "sessions.Session",
        "axes.AccessAttempt",
        "django_q.Schedule",
    }


def test_every_image_arrives_byte_identical_and_a_stored_one_is_not_copied_again(
    moved, old_installation
):
    media = old_installation.media
    on_disk = {
        str(path.relative_to(media)): path.read_bytes()
        for path in media.rglob("*")
        if path.is_file()
    }

    copied = sum(len(body) for name, body in on_disk.items() if name != moved.stored_before)

    assert len(on_disk) == 6  # two images and their thumbnails, a reference and its thumbnail
    assert bucket_files(moved.storage) == on_disk
    assert f"Files: 5 copied ({copied:,} bytes), 1 already there" in moved.output


def test_a_missing_image_is_reported_and_the_move_goes_on(moved, old_installation):
    from gallery.models import GeneratedImage

    lost = GeneratedImage.objects.using("old").get(generation__parent__isnull=False)

    assert f"missing: {old_installation.media / lost.original.name}" in moved.output
    assert f"1 missing from {old_installation.media}" in moved.output
    assert GeneratedImage.objects.using("new").filter(pk=lost.pk).exists()


def test_queued_q2_messages_stay_behind(moved):
    from django_q.models import OrmQ

    assert OrmQ.objects.using("old").count() == 1
    assert not OrmQ.objects.using("new").exists()
    assert "Left behind 1 queued q2 messages" in moved.output


def test_old_users_log_in_and_new_rows_get_ids_of_their_own(moved):
    from django.contrib.auth.models import User

    from gallery.models import Generation

    env = {**moved.new_env, "ALLOWED_HOSTS": "testserver"}  # the test client's host
    used = run_script(USE_THE_NEW_INSTALLATION, env).splitlines()[-1]
    answer = json.loads(used)

    assert answer["login"] == [302, "/"]
    assert answer["generation"] > Generation.objects.using("old").latest("pk").pk
    assert answer["user"] > User.objects.using("old").latest("pk").pk


def test_a_second_run_refuses_and_writes_nothing(moved, old_installation):
    from gallery.models import Generation

    again = move(old_installation.database, old_installation.media, moved.new_env)

    assert again.returncode == 1
    assert "already holds data" in again.stderr
    assert "If an earlier run finished, the move is done" in again.stderr
    assert rows_of(Generation, "new") == rows_of(Generation, "old")


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


# This code's newest migration, the one an unmigrated copy lacks.
NEWEST_MIGRATION = max(p.stem for p in (ROOT / "gallery" / "migrations").glob("0*.py"))


def _unmigrated(old: Installation, path: Path) -> None:
    changed_copy(old, path, f"DELETE FROM django_migrations WHERE name = '{NEWEST_MIGRATION}'")


def _foreign(old: Installation, path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app, name, applied)"
        )
        connection.execute(
            "INSERT INTO django_migrations VALUES (1, 'shop', '0001_initial', '2026-01-01')"
        )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda old, path: path.write_text("name,prompt\n"), "is not a readable SQLite database"),
        (_foreign, "is not a wanxweb database: it records no gallery migration"),
        (_unmigrated, f"lacks migrations of this code: gallery.{NEWEST_MIGRATION}"),
    ],
    ids=["not-sqlite", "foreign", "unmigrated"],
)
def test_it_refuses_an_old_database_that_is_not_a_migrated_wanxweb_one(
    make, message, old_installation, empty_database, tmp_path
):
    path = tmp_path / "db.sqlite3"
    make(old_installation, path)

    env = environment(DATABASE_URL=empty_database, VAR_DIR=str(tmp_path))
    refused = move(path, old_installation.media, env)

    assert refused.returncode == 1
    assert message in refused.stderr
    with psycopg.connect(empty_database) as connection:
        tables = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)  # the new database was not even migrated
