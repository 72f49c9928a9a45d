from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ..dashscope.catalog import MODELS
from ..dashscope.client import ImageRequest
from ..dashscope.errors import explain
from .teams import Team


class GenerationQuerySet(models.QuerySet):
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
        """Records holding one of the account's concurrency slots."""
        return self.filter(status__in=Generation.AT_DASHSCOPE)


class Generation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued here"  # waiting for a free DashScope slot
        SUBMITTING = "SUBMITTING", "Submitting"
        PENDING = "PENDING", "Pending at DashScope"
        RUNNING = "RUNNING", "Running"
        DOWNLOADING = "DOWNLOADING", "Saving images"
        SUCCEEDED = "SUCCEEDED", "Done"
        FAILED = "FAILED", "Failed"
        CANCELED = "CANCELED", "Cancelled"

    ACTIVE = (
        Status.QUEUED,
        Status.SUBMITTING,
        Status.PENDING,
        Status.RUNNING,
        Status.DOWNLOADING,
    )
    AT_DASHSCOPE = (Status.SUBMITTING, Status.PENDING, Status.RUNNING)
    # What is sent to DashScope: ImageRequest's fields.
    REQUEST_FIELDS = (
        "model",
        "prompt",
        "negative_prompt",
        "width",
        "height",
        "n",
        "seed",
        "prompt_extend",
        "watermark",
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    team = models.ForeignKey(  # shared with this team; private to its owner when empty
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="generations"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)  # in the trash since
    parent = models.ForeignKey(  # the generation this one was made again from
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remixes"
    )
    model = models.CharField(max_length=40, choices=[(m, m) for m in MODELS])
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    n = models.PositiveSmallIntegerField("images", default=1)
    seed = models.PositiveIntegerField(null=True, blank=True)
    prompt_extend = models.BooleanField(default=True)
    watermark = models.BooleanField(default=False)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # DashScope's scheduled_time
    finished_at = models.DateTimeField(null=True, blank=True)  # DashScope's end_time
    completed_at = models.DateTimeField(null=True, blank=True)  # terminal here, images stored
    # end_time - submit_time on DashScope's own clock: what the poll schedule learns from.
    task_seconds = models.FloatField(null=True, blank=True)
    # When the dispatcher next looks at this record (a poll, a retry, or a stuck-job check).
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)  # task queries spent so far
    unknown_answers = models.PositiveSmallIntegerField(default=0)  # consecutive UNKNOWNs
    rechecked_at = models.DateTimeField(null=True, blank=True)  # when a person asked to look again
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    actual_prompt = models.TextField(blank=True)
    image_count = models.PositiveSmallIntegerField(default=0)  # images DashScope billed
    # DashScope's `output.results`, kept from the final poll until the images are stored.
    results = models.JSONField(default=list, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # a user's history, newest first
            models.Index(fields=["owner", "-created_at"], name="generation_history"),
            # a team's gallery, newest first
            models.Index(fields=["team", "-created_at"], name="generation_team_gallery"),
            # the dispatcher: due polls and retries, and the queue per model in arrival order
            models.Index(fields=["status", "next_check_at"], name="generation_due"),
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
    def size(self) -> str:
        return f"{self.width}×{self.height}"

    @property
    def error_text(self) -> str:
        return explain(self.error_code, self.error_message) if self.error_code else ""

    @property
    def elapsed(self) -> timedelta:
        return (self.completed_at or timezone.now()) - self.created_at

    def transition(self, from_statuses, **changes) -> bool:
        """Change this record only if it is still in one of `from_statuses`.

        The conditional update is what keeps two workers (or two clusters) from both acting on
        one record: whoever gets 1 back owns the step.
        """
        if isinstance(from_statuses, str):
            from_statuses = [from_statuses]
        won = Generation.objects.filter(pk=self.pk, status__in=from_statuses).update(**changes)
        if won:
            for name, value in changes.items():
                setattr(self, name, value)
        return bool(won)

    def fail(self, from_statuses, code: str, message: str = "", **changes) -> bool:
        return self.transition(
            from_statuses,
            status=self.Status.FAILED,
            error_code=code,
            error_message=message,
            completed_at=timezone.now(),
            next_check_at=None,
            **changes,
        )

    @property
    def refresh_after_ms(self) -> int:
        """When the card should look again: just after the dispatcher's next check of the task."""
        if self.status == self.Status.DOWNLOADING:
            return 250  # storing takes a fraction of a second
        if self.status in (self.Status.PENDING, self.Status.RUNNING) and self.next_check_at:
            seconds = (self.next_check_at - timezone.now()).total_seconds() + 0.15
            return round(1000 * min(max(seconds, 0.3), 2.0))
        return 1000

    @property
    def can_recheck(self) -> bool:
        """A task that ended here as timed out, while DashScope still keeps it (24 h)."""
        return (
            self.status == self.Status.FAILED
            and self.error_code == "TimedOut"
            and bool(self.task_id)
            and self.submitted_at is not None
            and timezone.now() - self.submitted_at < timedelta(hours=24)
        )

    def recheck(self) -> bool:
        """Watch a timed-out task again: it may have finished at DashScope since."""
        now = timezone.now()
        return self.can_recheck and self.transition(
            self.Status.FAILED,
            status=self.Status.RUNNING,
            error_code="",
            error_message="",
            completed_at=None,
            rechecked_at=now,  # the age limit counts from here now
            unknown_answers=0,
            next_check_at=now,
        )

    @property
    def can_cancel(self) -> bool:
        """Queued here, or PENDING at DashScope (which cancels only tasks not yet started)."""
        return self.status in (self.Status.QUEUED, self.Status.PENDING)

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
        return ImageRequest(**{name: getattr(self, name) for name in self.REQUEST_FIELDS})


class GeneratedImage(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="images")
    index = models.PositiveSmallIntegerField()
    # Saved under generations/<id>/ by the download job (see downloads.py).
    original = models.FileField(blank=True)
    thumbnail = models.FileField(blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveIntegerField(null=True, blank=True)
    seed = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="one_image_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.generation_id}/{self.index}"

    @property
    def error_text(self) -> str:
        return explain(self.error_code, self.error_message) if self.error_code else ""


class Lease(models.Model):
    """A named lock with an expiry, so one dispatcher loop runs in the whole deployment."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @classmethod
    def acquire(cls, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease; False when someone else holds a live one."""
        now = timezone.now()
        expires_at = now + timedelta(seconds=ttl)
        taken = cls.objects.filter(Q(expires_at__lt=now) | Q(holder=holder), name=name).update(
            holder=holder, expires_at=expires_at
        )
        if taken:
            return True
        _, created = cls.objects.get_or_create(
            name=name, defaults={"holder": holder, "expires_at": expires_at}
        )
        return created

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        cls.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())

    @classmethod
    def is_held(cls, name: str) -> bool:
        return cls.objects.filter(name=name, expires_at__gt=timezone.now()).exists()
