"""django-q2 jobs. Small, idempotent and restart-safe: brokers deliver at least once."""

from django_q.tasks import async_task

from . import downloads
from .dispatcher import LEASE_NAME, Dispatcher
from .models import Generation, Lease


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
