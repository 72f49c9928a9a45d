"""Health checks: one for a load balancer (can this web process use the database?), one for a
supervisor (is the background work moving?). Anonymous and never cached; they touch no session."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_q.models import Schedule

from ..dispatcher import DISPATCHER_SCHEDULE, LEASE_NAME
from ..models import Generation, Lease, Outage

Status = Generation.Status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 while the database answers: without it this process can serve nothing but errors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", content_type="text/plain", status=503)
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def worker(request: HttpRequest) -> JsonResponse:
    """The dispatcher's lease, the active records, how long the oldest has waited for the
    dispatcher and how far the schedulers are behind; 503 once either passes
    WORKER_STALL_SECONDS. Whether DashScope answers is a field of its own, never the status.

    Waiting for the dispatcher, not for DashScope, so that a burst never reads as a fault:
    - a record past its due time (`with_due_at`), unless QUEUED: a live loop queries due PENDING and
      RUNNING tasks within a second and its sweep settles overdue SUBMITTING and DOWNLOADING
      records within seconds, so a task running long at DashScope is never late;
    - a QUEUED record from when it may be sent (created, or its retry time), only while no
      record of its model holds a DashScope slot. With one held it may rightly wait minutes
      behind a burst; and if no loop runs, that slot's holder is itself late, so this shows.
    """
    now = timezone.now()
    slot_held = Generation.objects.at_dashscope().filter(model=OuterRef("model"))
    work = (
        Generation.objects.active()
        .with_due_at()
        .aggregate(
            active=Count("id"),
            due_since=Min("due_at", filter=~Q(status=Status.QUEUED)),
            sendable_since=Min(
                Coalesce("retry_at", "created_at"),
                filter=Q(status=Status.QUEUED) & ~Exists(slot_held),
            ),
        )
    )
    # While DashScope is down, new tasks wait here on purpose: that is no fault of the worker,
    # and a load balancer must not drop a healthy node for it (the `dashscope` field says it).
    outage = Outage.objects.current()
    sendable_since = None if outage else work["sendable_since"]
    since = [at for at in (work["due_since"], sendable_since) if at]
    waiting = max([0, *(int((now - at).total_seconds()) for at in since)])
    # Every running qcluster's scheduler moves the minute schedule's next run on: one left far
    # behind means no qcluster runs at all, which idle or not is a fault.
    next_run = Schedule.objects.filter(name=DISPATCHER_SCHEDULE).values_list("next_run", flat=True)
    scheduler_behind = max(0, int((now - next_run[0]).total_seconds())) if next_run else 0
    stalled = max(waiting, scheduler_behind) > settings.WORKER_STALL_SECONDS
    return JsonResponse(
        {
            "dispatcher_running": Lease.is_held(LEASE_NAME),
            "active": work["active"],
            "oldest_waiting_seconds": waiting,
            "scheduler_behind_seconds": scheduler_behind,
            "stall_seconds": settings.WORKER_STALL_SECONDS,
            "stalled": stalled,
            "dashscope": {
                "answering": outage is None,
                "not_answering_since": outage.started_at.isoformat() if outage else None,
                "cause": outage.cause if outage else "",
            },
        },
        status=503 if stalled else 200,
    )
