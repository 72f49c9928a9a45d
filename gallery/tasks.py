"""django-q2 jobs. Small, idempotent and restart-safe: brokers deliver at least once."""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.tasks import async_task

from . import downloads, references
from .dispatcher import LEASE_NAME, Dispatcher
from .models import GeneratedImage, Generation, Lease, ReferenceImage


def dispatch() -> None:
    """Run the dispatcher loop for up to a minute (a no-op while another loop runs)."""
    Dispatcher().run()


def store_results(generation_id: int) -> None:
    generation = Generation.objects.filter(
        pk=generation_id, status=Generation.Status.DOWNLOADING
    ).first()
    if generation:
        downloads.store_results(generation)


def kick() -> None:
    """Make sure a dispatcher loop is running; called after a record is created."""
    if not Lease.is_held(LEASE_NAME):
        async_task("gallery.tasks.dispatch", task_name="dispatch")


def purge_trash() -> int:
    """Remove for good what has been in the trash longer than TRASH_DAYS, rows and files (its
    reference images too), and reference images uploaded to the form but never sent."""
    expired = Generation.objects.filter(
        deleted_at__lt=timezone.now() - timedelta(days=settings.TRASH_DAYS)
    )
    files = [
        *GeneratedImage.objects.filter(generation__in=expired).values_list("original", "thumbnail"),
        *ReferenceImage.objects.filter(generation__in=expired).values_list("image", "thumbnail"),
    ]
    for name in (name for pair in files for name in pair if name):
        default_storage.delete(name)
    count, _ = expired.delete()
    references.purge_pending()
    return count
