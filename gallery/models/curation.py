"""What people do with generations afterwards: boards, favourites, comments and review marks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import plain_text
from .keyset import KeysetQuerySet
from .teams import Team


class BoardQuerySet(models.QuerySet):
    def visible_to(self, user) -> BoardQuerySet:
        return self.filter(Q(owner=user) | Q(team__in=Team.objects.of(user).values("pk")))


class Board(models.Model):
    """A named collection of images, personal (owner) or shared by a team (team)."""

    name = models.CharField(_("name"), max_length=80, validators=[plain_text])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="boards",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="boards",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    images = models.ManyToManyField(
        "GeneratedImage", verbose_name=_("images"), through="BoardItem", related_name="boards"
    )

    objects = BoardQuerySet.as_manager()

    class Meta:
        verbose_name = _("board")
        verbose_name_plural = _("boards")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, team__isnull=True)
                | Q(owner__isnull=True, team__isnull=False),
                name="board_is_personal_or_team",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("gallery:board", args=[self.pk])


class BoardItemQuerySet(KeysetQuerySet):
    position_field = "added_at"  # a board lists its images by when they were added


class BoardItem(models.Model):
    board = models.ForeignKey(
        Board, verbose_name=_("board"), on_delete=models.CASCADE, related_name="items"
    )
    image = models.ForeignKey(
        "GeneratedImage",
        verbose_name=_("image"),
        on_delete=models.CASCADE,
        related_name="board_items",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    objects = BoardItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("board item")
        verbose_name_plural = _("board items")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["board", "image"], name="image_once_per_board")
        ]
        indexes = [
            # a board's page and the cover on the boards list: its images, newest added first
            models.Index(fields=["board", "-added_at"], name="board_item_added"),
        ]

    def __str__(self) -> str:
        return f"{self.image} on {self.board}"


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="favourites",
    )
    generation = models.ForeignKey(
        "Generation",
        verbose_name=_("generation"),
        on_delete=models.CASCADE,
        related_name="favourites",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        constraints = [
            models.UniqueConstraint(fields=["user", "generation"], name="one_star_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.generation_id}"


class Comment(models.Model):
    generation = models.ForeignKey(
        "Generation",
        verbose_name=_("generation"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    body = models.TextField(_("body"), max_length=2000, validators=[plain_text])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.generation_id}: {self.body[:40]}"


class ReviewMark(models.Model):
    """One team member's verdict on a team generation."""

    class Mark(models.TextChoices):
        PICKED = "picked", _("Picked")
        REJECTED = "rejected", _("Rejected")

    generation = models.ForeignKey(
        "Generation", verbose_name=_("generation"), on_delete=models.CASCADE, related_name="marks"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="review_marks",
    )
    mark = models.CharField(_("mark"), max_length=8, choices=Mark.choices)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("review mark")
        verbose_name_plural = _("review marks")
        constraints = [
            models.UniqueConstraint(fields=["generation", "user"], name="one_mark_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.mark} {self.generation_id}"
