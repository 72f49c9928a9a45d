from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..dashscope.catalog import MODELS, NAMED_SIZES
from ..dashscope.client import TASK_LIFETIME, ImageRequest
from ..dashscope.errors import REFUSED_AS_ASKED, ErrorCode, explain
from .curation import Favourite, ReviewMark
from .images import ReferenceImage
from .keyset import KeysetQuerySet
from .teams import Team


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


class GenerationQuerySet(KeysetQuerySet):
    def visible_to(self, user) -> GenerationQuerySet:
        """The one rule for who may see a generation (and its images): its author, and the
        members of the team it is shared with; nobody while it is in the trash."""
        return self.filter(
            Q(owner=user) | Q(team__in=Team.objects.of(user).values("pk")),
            deleted_at__isnull=True,
        )

    def in_trash_of(self, user) -> GenerationQuerySet:
        """What the author deleted and can still restore."""
        return self.filter(owner=user, deleted_at__isnull=False).order_by("-deleted_at")

    def active(self) -> GenerationQuerySet:
        return self.filter(status__in=Generation.ACTIVE)

    def at_dashscope(self) -> GenerationQuerySet:
        """Records holding one of the account's concurrency slots. A task DashScope has
        answered UNKNOWN for longer than FORGOTTEN_TASK_SLOT_SECONDS (lost in an outage, most
        likely) stops holding one: it is still watched, but no longer keeps others waiting."""
        forgotten = timezone.now() - timedelta(seconds=settings.FORGOTTEN_TASK_SLOT_SECONDS)
        return self.filter(status__in=Generation.AT_DASHSCOPE).exclude(unknown_since__lt=forgotten)

    def with_due_at(self) -> GenerationQuerySet:
        """`due_at`: when the dispatcher next acts on each record, whatever its status (only
        the time field of its own status is ever set)."""
        return self.annotate(
            due_at=Coalesce("retry_at", "reconcile_at", "poll_at", "store_claimed_until")
        )

    def waited_too_long(self, since: datetime) -> GenerationQuerySet:
        """Queued here since before `since`, or watched at DashScope since before it (counted
        from a person's re-check, if they asked for one)."""
        watched_since = Coalesce("rechecked_at", "submitted_at")
        return self.annotate(watched_since=watched_since).filter(
            Q(status=Generation.Status.QUEUED, created_at__lt=since)
            | Q(status__in=Generation.WATCHED, watched_since__lt=since)
        )

    # The list pages' filters (see gallery/listing.py).

    def search(self, text: str) -> GenerationQuerySet:
        """Every word somewhere in the prompt, the negative prompt or DashScope's actual prompt."""
        found = self
        for word in text.split():
            found = found.filter(
                Q(prompt__icontains=word)
                | Q(negative_prompt__icontains=word)
                | Q(actual_prompt__icontains=word)
            )
        return found

    def of_size(self, width: int, height: int) -> GenerationQuerySet:
        return self.filter(width=width, height=height)

    def created_between(self, since: date | None, until: date | None) -> GenerationQuerySet:
        """Created on `since` or later and on `until` or earlier, in whole days of the current
        time zone; as a range on created_at, so the history indexes still serve it."""
        found = self
        if since:
            found = found.filter(created_at__gte=_start_of(since))
        if until:
            found = found.filter(created_at__lt=_start_of(until + timedelta(days=1)))
        return found

    def favourited_by(self, user) -> GenerationQuerySet:
        return self.filter(favourites__user=user)  # one star per user: no duplicate rows

    # What a card shows each user besides the generation itself (see templates/gallery/_card.html).

    def with_star(self, user) -> GenerationQuerySet:
        """`starred`: whether `user` starred it; a subquery, so no join multiplies the rows."""
        mine = Favourite.objects.filter(user=user, generation=OuterRef("pk"))
        return self.annotate(starred=Exists(mine))

    def with_review_counts(self) -> GenerationQuerySet:
        """`picks` and `rejections`: the team's review marks, counted in subqueries (no GROUP BY,
        so other filters and annotations compose without inflating the counts)."""
        return self.annotate(
            picks=_count_marks(ReviewMark.Mark.PICKED),
            rejections=_count_marks(ReviewMark.Mark.REJECTED),
        )

    def reviewed(self, state: str) -> GenerationQuerySet:
        """By the team's marks: "picked" (more picks than rejections), "rejected" (more
        rejections than picks) or "unreviewed" (no mark yet); a tie is neither."""
        counted = self.with_review_counts()
        if state == "picked":
            return counted.filter(picks__gt=F("rejections"))
        if state == "rejected":
            return counted.filter(rejections__gt=F("picks"))
        if state == "unreviewed":
            return counted.exclude(Exists(ReviewMark.objects.filter(generation=OuterRef("pk"))))
        raise ValueError(f"unknown review state {state!r}")

    def for_cards(self, user) -> GenerationQuerySet:
        """Everything `_card.html` shows `user`, in a fixed number of queries for any page."""
        return (
            self.with_star(user)
            .with_review_counts()
            .with_has_references()
            .select_related("owner", "team")
            .prefetch_related("images", "references")
        )

    def with_has_references(self) -> GenerationQuerySet:
        """`has_references`, so that a card of a generation sent without any (most) never
        asks for them."""
        return self.annotate(
            has_references=Exists(ReferenceImage.objects.filter(generation=OuterRef("pk")))
        )

    def card(self, user, pk: int) -> Generation:
        """The generation `pk` with what its card shows `user`, as `for_cards` gives it, for a
        card fetched on its own: an active card reloads itself every second or so, so this
        costs one query while it shows neither review counts (a private one) nor images (not
        yet). Raises Generation.DoesNotExist when this queryset does not hold it."""
        generation = (
            self.with_star(user).with_has_references().select_related("owner", "team").get(pk=pk)
        )
        counts = {}
        if generation.team_id:
            marks = generation.marks.order_by().values_list("mark").annotate(Count("pk"))
            counts = dict(marks)
        generation.picks = counts.get(ReviewMark.Mark.PICKED, 0)
        generation.rejections = counts.get(ReviewMark.Mark.REJECTED, 0)
        if generation.status == Generation.Status.SUCCEEDED:
            models.prefetch_related_objects([generation], "images")
        if generation.has_references:
            models.prefetch_related_objects([generation], "references")
        return generation


def _count_marks(mark: str) -> Coalesce:
    marks = (
        ReviewMark.objects.filter(generation=OuterRef("pk"), mark=mark)
        .order_by()
        .values("generation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(marks), Value(0))


class CancelRequest(models.TextChoices):
    """A person's cancel of a task at DashScope, which the dispatcher carries out (a web request
    never waits on DashScope)."""

    REQUESTED = "REQUESTED", _("Cancelling…")
    REFUSED = "REFUSED", _("Could not cancel: DashScope had already started it.")


class Generation(models.Model):
    CancelRequest = CancelRequest

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("Queued here")  # waiting for a free DashScope slot
        SUBMITTING = "SUBMITTING", _("Submitting")
        PENDING = "PENDING", _("Pending at DashScope")
        RUNNING = "RUNNING", _("Running")
        DOWNLOADING = "DOWNLOADING", _("Saving images")
        SUCCEEDED = "SUCCEEDED", _("Done")
        FAILED = "FAILED", _("Failed")
        CANCELED = "CANCELED", _("Cancelled")

    ACTIVE = (
        Status.QUEUED,
        Status.SUBMITTING,
        Status.PENDING,
        Status.RUNNING,
        Status.DOWNLOADING,
    )
    AT_DASHSCOPE = (Status.SUBMITTING, Status.PENDING, Status.RUNNING)
    WATCHED = (Status.PENDING, Status.RUNNING)  # DashScope has the task; we query it
    # Its worst case is held against budgets until DashScope has billed it or it has ended.
    RESERVING = (Status.QUEUED, *AT_DASHSCOPE)
    # What is sent to DashScope: ImageRequest's fields.
    REQUEST_FIELDS = (
        "model",
        "prompt",
        "negative_prompt",
        "width",
        "height",
        "size_name",
        "n",
        "seed",
        "prompt_extend",
        "watermark",
        "thinking_mode",
        "enable_sequential",
        "color_palette",
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="generations",
    )
    team = models.ForeignKey(  # shared with this team; private to its owner when empty
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)  # in the trash since
    parent = models.ForeignKey(  # the generation this one was made again from
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="remixes",
    )
    model = models.CharField(_("model"), max_length=40, choices=[(m, m) for m in MODELS])
    prompt = models.TextField(_("prompt"))
    negative_prompt = models.TextField(_("negative prompt"), blank=True)
    # With a named size ("2K"), its nominal square; the stored images have their real sides.
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size_name = models.CharField(
        _("size name"), max_length=2, blank=True, choices=[(s, s) for s in NAMED_SIZES]
    )
    n = models.PositiveSmallIntegerField(_("images"), default=1)
    seed = models.PositiveIntegerField(_("seed"), null=True, blank=True)
    prompt_extend = models.BooleanField(_("prompt extend"), default=True)
    watermark = models.BooleanField(_("watermark"), default=False)
    thinking_mode = models.BooleanField(
        _("thinking mode"), default=True
    )  # sent only to models that take it
    enable_sequential = models.BooleanField(_("image set"), default=False)
    color_palette = models.JSONField(
        _("color palette"), default=list, blank=True
    )  # as DashScope is sent it

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    started_at = models.DateTimeField(
        _("started at"), null=True, blank=True
    )  # DashScope's scheduled_time
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True
    )  # DashScope's end_time
    completed_at = models.DateTimeField(
        _("completed at"), null=True, blank=True
    )  # terminal here, images stored
    # end_time - submit_time on DashScope's own clock: what the poll schedule learns from.
    task_seconds = models.FloatField(_("seconds at DashScope"), null=True, blank=True)
    # When the dispatcher next acts on the record: one field per status, empty in the others
    # (gallery/lifecycle.py keeps it so).
    # QUEUED: not sent again before this (after DashScope refused it for now)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    # SUBMITTING: unless the POST was answered by then, look for the task in DashScope's list
    reconcile_at = models.DateTimeField(_("reconcile at"), null=True, blank=True)
    # PENDING, RUNNING: when to query the task next
    poll_at = models.DateTimeField(_("poll at"), null=True, blank=True)
    # DOWNLOADING: the store job holds the record until then; past it, the sweep starts another
    store_claimed_until = models.DateTimeField(_("store claimed until"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("checks"), default=0)  # task queries spent so far
    # consecutive queries that brought no status (an error or an UNKNOWN): they space out
    missed_checks = models.PositiveSmallIntegerField(_("missed checks"), default=0)
    unknown_since = models.DateTimeField(
        _("unknown since"), null=True, blank=True
    )  # DashScope answers UNKNOWN
    cancel_request = models.CharField(
        _("cancel request"), max_length=10, choices=CancelRequest, blank=True
    )
    rechecked_at = models.DateTimeField(
        _("rechecked at"), null=True, blank=True
    )  # when a person asked to look again
    submit_attempts = models.PositiveSmallIntegerField(_("submit attempts"), default=0)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    actual_prompt = models.TextField(_("actual prompt"), blank=True)
    image_count = models.PositiveSmallIntegerField(
        _("image count"), default=0
    )  # images DashScope billed
    # n × the price when it was made: what it holds of a budget in CNY while it is RESERVING
    reserved_cost = models.DecimalField(
        _("reserved cost"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    # DashScope's `output.results`, kept from the final poll until the images are stored.
    results = models.JSONField(_("results"), default=list, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        verbose_name = _("generation")
        verbose_name_plural = _("generations")
        ordering = ["-created_at", "-id"]
        indexes = [
            # a user's history, newest first
            models.Index(fields=["owner", "-created_at"], name="generation_history"),
            # a team's gallery, newest first
            models.Index(fields=["team", "-created_at"], name="generation_team_gallery"),
            # the dispatcher: due queries, and the queue per model in arrival order
            models.Index(fields=["status", "poll_at"], name="generation_poll_due"),
            models.Index(fields=["status", "model", "created_at"], name="generation_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.prompt[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("gallery:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def spec(self):
        """The catalog's entry for its model (what it takes, its limits)."""
        return MODELS[self.model]

    @property
    def size(self) -> str:
        return self.size_name or f"{self.width}×{self.height}"

    @property
    def error_text(self) -> str:
        return explain(self.error_code, self.error_message) if self.error_code else ""

    @property
    def elapsed(self) -> timedelta:
        return (self.completed_at or timezone.now()) - self.created_at

    @property
    def can_recheck(self) -> bool:
        """A task that ended here as timed out, while DashScope still keeps it (24 h)."""
        return (
            self.status == self.Status.FAILED
            and self.error_code == ErrorCode.TIMED_OUT
            and bool(self.task_id)
            and self.submitted_at is not None
            and timezone.now() - self.submitted_at < TASK_LIFETIME
        )

    @property
    def can_cancel(self) -> bool:
        """Queued here, or PENDING at DashScope (which cancels only tasks not yet started),
        unless a cancel is asked for already."""
        return self.status in (self.Status.QUEUED, self.Status.PENDING) and not self.cancel_request

    @property
    def cancelling(self) -> bool:
        return self.cancel_request == CancelRequest.REQUESTED and self.status == self.Status.PENDING

    @property
    def cancel_refused(self) -> bool:
        """Asked too late, while it is still going: DashScope started the task before the
        cancel reached it (it said so, or a query saw it running first)."""
        return self.is_active and (
            self.cancel_request == CancelRequest.REFUSED
            or (
                self.cancel_request == CancelRequest.REQUESTED
                and self.status != self.Status.PENDING
            )
        )

    @property
    def retry_needs_a_change(self) -> bool:
        """Whether sending it again as it is would be refused again (see REFUSED_AS_ASKED)."""
        return self.error_code in REFUSED_AS_ASKED

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.CANCELED)

    def copy(self) -> Generation:
        """A new, queued generation with the same parameters, made from this one."""
        return Generation(
            owner=self.owner,
            parent=self,
            **{name: getattr(self, name) for name in self.REQUEST_FIELDS},
        )

    def image_request(self) -> ImageRequest:
        references = list(self.references.all())
        return ImageRequest(
            **{name: getattr(self, name) for name in self.REQUEST_FIELDS},
            images=tuple(reference.data_uri for reference in references),
            bbox_list=tuple(reference.boxes for reference in references),
        )
