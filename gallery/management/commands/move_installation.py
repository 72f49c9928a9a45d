"""Move an installation from SQLite and a media folder to PostgreSQL and object storage.

Run it while the app is stopped, with the NEW configuration in the environment
(DATABASE_URL=postgres://…, AWS_* naming the bucket) and the old installation as arguments:

    manage.py move_installation --from-database var/db.sqlite3 --from-media var/media

It refuses a new database that already holds data, and an old one that is not a wanxweb
database with every migration of this code applied; the old installation is only read. Then it
migrates the new database, copies every file the old rows name into the new storage, and copies
every row in one transaction, ids included, moving the id sequences past them.

Interrupted at any point, run it again: files already stored with the same size are skipped,
and no row was kept, so the rows start over. Once it has finished, it refuses to run again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django_q.models import OrmQ, Schedule

SOURCE = "old_installation"
BATCH_SIZE = 500  # rows per INSERT: memory stays bounded, PostgreSQL's 65535 parameters too
PROGRESS_SECONDS = 5.0  # between two lines of progress while files are copied
COPIED, SKIPPED, MISSING = "copied", "skipped", "missing"
# `migrate` writes these rows itself; the old installation's replace them, ids included,
# because the old rows' foreign keys point to those ids.
FILLED_BY_MIGRATE = (ContentType, Permission, Schedule)
# q2's queued messages stay behind: they are signed with the old SECRET_KEY, the new setup may
# queue in Redis, and the dispatcher's sweep queues its work again from the generations.
NOT_MOVED = (OrmQ,)


@dataclass
class Files:
    copied: int = 0
    skipped: int = 0  # already in the new storage with the same size
    bytes: int = 0  # copied
    missing: int = 0  # named by a row, not in the old folder


class Command(BaseCommand):
    help = (
        "Move an SQLite installation (rows and image files) into the configured PostgreSQL "
        "database and storage. Run it with the new configuration, while the app is stopped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from-database", type=Path, required=True, help="the old SQLite file")
        parser.add_argument(
            "--from-media", type=Path, required=True, help="the old MEDIA_ROOT folder"
        )

    def handle(self, *args, from_database: Path, from_media: Path, **options) -> None:
        self.verbosity = options["verbosity"]
        target = connections[DEFAULT_DB_ALIAS]
        if target.vendor != "postgresql":
            raise CommandError(
                f"DATABASE_URL names a {target.vendor} database: set it to the new PostgreSQL "
                "database (postgres://…)."
            )
        if not from_database.is_file():
            raise CommandError(f"{from_database}: no such file.")
        if not from_media.is_dir():
            raise CommandError(f"{from_media}: no such folder.")
        connections.databases[SOURCE] = {
            **connections.databases[DEFAULT_DB_ALIAS],  # the settings Django fills in
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": f"{from_database.resolve().as_uri()}?mode=ro",  # never written
            "OPTIONS": {},
        }
        try:
            self._check_source(from_database)
            self._check_target_is_empty(target.settings_dict["NAME"])
            self._say("Migrating the new database.")
            call_command("migrate", interactive=False, verbosity=self.verbosity, stdout=self.stdout)
            files = self._copy_files(FileSystemStorage(location=from_media))
            rows = self._copy_rows()
            left_behind = OrmQ.objects.using(SOURCE).count()
        finally:
            connections[SOURCE].close()

        self.stdout.write(
            f"Moved {sum(rows.values())} rows of {len(rows)} tables into "
            f"{target.settings_dict['NAME']}.\n"
            f"Files: {files.copied} copied ({files.bytes:,} bytes), {files.skipped} already "
            f"there, {files.missing} missing from {from_media}."
        )
        if left_behind:
            self.stdout.write(
                f"Left behind {left_behind} queued q2 messages: the dispatcher queues their work "
                "again from the generations."
            )

    def _check_source(self, path: Path) -> None:
        """A wanxweb database with exactly this code's migrations: the rows fit the new tables."""
        try:
            executor = MigrationExecutor(connections[SOURCE])
        except DatabaseError as error:
            raise CommandError(f"{path} is not a readable SQLite database ({error}).") from error
        loader = executor.loader
        if not any(app == "gallery" for app, _ in loader.applied_migrations):
            raise CommandError(
                f"{path} is not a wanxweb database: it records no gallery migration."
            )
        unapplied = [
            f"{migration.app_label}.{migration.name}"
            for migration, _ in executor.migration_plan(loader.graph.leaf_nodes())
        ]
        if unapplied:
            raise CommandError(
                f"{path} lacks migrations of this code: {', '.join(unapplied)}. Apply them first "
                f"with the old configuration: DATABASE_URL=sqlite:///{path.resolve()} "
                "manage.py migrate"
            )
        newer = sorted(
            f"{app}.{name}"
            for app, name in loader.applied_migrations
            if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
        )
        if newer:
            raise CommandError(
                f"{path} was migrated by newer code ({', '.join(newer)}): move it with that code."
            )

    def _check_target_is_empty(self, name: str) -> None:
        target = connections[DEFAULT_DB_ALIAS]
        tables = set(target.introspection.table_names())
        held = []
        with target.cursor() as cursor:
            for model in _stored_models():
                table = model._meta.db_table
                if model in FILLED_BY_MIGRATE or table not in tables:
                    continue
                cursor.execute(f"SELECT 1 FROM {target.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone():
                    held.append(model._meta.label)
        if held:
            raise CommandError(
                f"The new database {name} already holds data ({', '.join(held)}), and this "
                "command only fills an empty one; nothing was written. If an earlier run "
                "finished, the move is done. Otherwise drop and create that database again, "
                "then run this again."
            )

    def _copy_files(self, source: FileSystemStorage) -> Files:
        """Every file a row names, before any row: a run interrupted here leaves no row behind,
        and the next run skips what arrived."""
        names = _file_names()
        self._say(f"Copying {len(names)} files.")
        files, reported = Files(), time.monotonic()
        for done, name in enumerate(names, 1):
            outcome, size = _copy_file(source, name)
            if outcome == MISSING:
                files.missing += 1
                self.stderr.write(f"  missing: {source.path(name)}")
            elif outcome == SKIPPED:
                files.skipped += 1
            else:
                files.copied += 1
                files.bytes += size
            if time.monotonic() - reported > PROGRESS_SECONDS:
                self._say(f"  {done}/{len(names)} files")
                reported = time.monotonic()
        return files

    def _copy_rows(self) -> dict[str, int]:
        """Every row, all or nothing; then each sequence moves past the highest copied id."""
        target = connections[DEFAULT_DB_ALIAS]
        moved = [model for model in _stored_models() if model not in NOT_MOVED]
        self._say("Copying rows.")
        rows = {}
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS), target.cursor() as cursor:
                tables = [model._meta.db_table for model in moved]
                for sql in target.ops.sql_flush(no_style(), tables):  # migrate's rows
                    cursor.execute(sql)
                for model in moved:
                    rows[model._meta.label] = self._copy_table(model)
                for sql in target.ops.sequence_reset_sql(no_style(), moved):
                    cursor.execute(sql)
        except DatabaseError as error:
            raise CommandError(f"Copying the rows failed, and none was kept: {error}") from error
        return rows

    def _copy_table(self, model: type[models.Model]) -> int:
        """Insert the old rows as they are, raw like loaddata (so `auto_now` fields keep their
        values) but without signals (q2 would call a task's hook again). PostgreSQL checks
        Django's foreign keys at commit, so the order of the tables does not matter."""
        rows = model._base_manager.using(SOURCE).order_by("pk").iterator(chunk_size=BATCH_SIZE)
        fields = model._meta.local_concrete_fields
        count = 0
        while batch := list(islice(rows, BATCH_SIZE)):
            model._base_manager.using(DEFAULT_DB_ALIAS)._insert(batch, fields=fields, raw=True)
            count += len(batch)
        self._say(f"  {model._meta.label}: {count}")
        return count

    def _say(self, line: str) -> None:
        if self.verbosity:
            self.stdout.write(line)
            self.stdout.flush()  # progress, also when the output goes to a log


def _stored_models() -> list[type[models.Model]]:
    """Every model with a table of its own, many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _file_names() -> list[str]:
    """The name of every file a row of the old installation refers to, once each."""
    names: dict[str, None] = {}
    for model in _stored_models():
        fields = [
            f.attname for f in model._meta.local_concrete_fields if isinstance(f, models.FileField)
        ]
        if fields:
            rows = model._base_manager.using(SOURCE).order_by("pk").values_list(*fields)
            names.update((name, None) for row in rows.iterator() for name in row if name)
    return list(names)


def _copy_file(source: FileSystemStorage, name: str) -> tuple[str, int]:
    """Copy one file unless the new storage has it whole; (what happened, its size)."""
    try:
        size = source.size(name)
    except FileNotFoundError:
        return MISSING, 0
    try:
        stored = default_storage.size(name)
    except FileNotFoundError:
        stored = None
    if stored == size:
        return SKIPPED, size
    with source.open(name) as content:  # the storage overwrites what an interrupted copy left
        if default_storage.save(name, content) != name:
            raise CommandError(f"The new storage renamed {name}.")
    return COPIED, size
