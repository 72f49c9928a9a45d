"""The images of a generation: those DashScope made (stored originals and thumbnails) and those
sent with its prompt."""

from __future__ import annotations

import base64

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..dashscope.errors import explain


def format_boxes(boxes: list) -> str:
    """[[10, 20, 300, 400], …] as people write them on the form: "10,20,300,400; …"."""
    return "; ".join(",".join(str(side) for side in box) for box in boxes)


class GeneratedImage(models.Model):
    generation = models.ForeignKey(
        "gallery.Generation",
        verbose_name=_("generation"),
        on_delete=models.CASCADE,
        related_name="images",
    )
    index = models.PositiveSmallIntegerField(_("index"))
    # Saved under generations/<id>/ by the download job (see downloads.py).
    original = models.FileField(_("original"), blank=True)
    thumbnail = models.FileField(_("thumbnail"), blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    bytes = models.PositiveIntegerField(_("bytes"), null=True, blank=True)
    seed = models.PositiveIntegerField(_("seed"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)

    class Meta:
        verbose_name = _("generated image")
        verbose_name_plural = _("generated images")
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="one_image_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.generation_id}/{self.index}"

    @property
    def error_text(self) -> str:
        return explain(self.error_code, self.error_message) if self.error_code else ""


class ReferenceImage(models.Model):
    """An image sent with a generation's prompt (wan2.7 edits, Qwen-Image references), as it
    was sent: re-encoded to what the model takes. Numbered as the prompt refers to them
    ("image 1" is index 0); as private as the generation."""

    generation = models.ForeignKey(
        "gallery.Generation",
        verbose_name=_("generation"),
        on_delete=models.CASCADE,
        related_name="references",
    )
    index = models.PositiveSmallIntegerField(_("index"))
    image = models.FileField(_("image"))  # under generations/<id>/references/
    thumbnail = models.FileField(_("thumbnail"))  # WebP, for cards and the form
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    # Where in it the model is to work: up to 2 boxes [x1, y1, x2, y2] in its pixels (wan2.7).
    boxes = models.JSONField(_("boxes"), default=list, blank=True)
    # The stored image it was taken from, when picked from the gallery: its lineage.
    source = models.ForeignKey(
        GeneratedImage,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="used_as_reference",
    )

    class Meta:
        verbose_name = _("reference image")
        verbose_name_plural = _("reference images")
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="one_reference_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.generation_id}/reference {self.index + 1}"

    @property
    def boxes_text(self) -> str:
        return format_boxes(self.boxes)

    @property
    def data_uri(self) -> str:
        """As DashScope is sent it: inline, since our images are private (a JPEG, see
        gallery/references.py)."""
        with self.image.open("rb") as file:
            return "data:image/jpeg;base64," + base64.b64encode(file.read()).decode()
