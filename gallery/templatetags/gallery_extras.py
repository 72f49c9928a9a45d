import math
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

# A tile's aspect as one of a few classes (static/css/app.css: .ar-…): the CSP allows no style
# attribute. Eighths of an octave, from 1:4 to 4:1: a tile is at most 4.4 % off its image's
# aspect, which the thumbnail covers by cropping that little.
ASPECT_STEPS_PER_OCTAVE = 8
ASPECT_STEPS_MAX = 16


@register.filter
def aspect(thing) -> str:
    """The aspect class of anything with a width and a height (an image, a generation)."""
    if not thing.width or not thing.height:
        return "ar-0"
    steps = round(ASPECT_STEPS_PER_OCTAVE * math.log2(thing.width / thing.height))
    steps = max(-ASPECT_STEPS_MAX, min(ASPECT_STEPS_MAX, steps))
    return f"ar-m{-steps}" if steps < 0 else f"ar-{steps}"


@register.filter
def times(count: int) -> range:
    """`{% for _ in n|times %}`: n rounds (a placeholder per requested image)."""
    return range(count)


@register.filter
def duration(value: timedelta | None) -> str:
    """A short human duration: "8 s", "2 min 5 s", "3 h 10 min"."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": seconds}
    if seconds < 3600:
        return _("%(minutes)s min %(seconds)s s") % {
            "minutes": seconds // 60,
            "seconds": seconds % 60,
        }
    return _("%(hours)s h %(minutes)s min") % {
        "hours": seconds // 3600,
        "minutes": seconds % 3600 // 60,
    }


# A new record is usually submitted at once; one still queued after this waits for a free slot.
QUEUE_PATIENCE = timedelta(seconds=5)
# Storing an image takes about a tenth of a second once its job starts (bench/pipeline.py), and
# the job starts within the broker's poll: a card that looks this often shows the images within
# a tenth of a second of their being stored, for two or three looks per generation.
STORING_LOOK_EVERY_MS = 100


@register.filter
def refresh_after_ms(generation) -> int:
    """When an active card should look again: just after the dispatcher's next query of its
    task, soon while images are being stored, rarely while it waits for a DashScope slot."""
    Status = generation.Status
    if generation.status == Status.DOWNLOADING:
        return STORING_LOOK_EVERY_MS
    if generation.status in generation.WATCHED and generation.poll_at:
        seconds = (generation.poll_at - timezone.now()).total_seconds() + 0.15
        return round(1000 * min(max(seconds, 0.3), 2.0))
    if (
        generation.status == Status.QUEUED
        and timezone.now() - generation.created_at > QUEUE_PATIENCE
    ):
        return 3000  # it waits for a free DashScope slot: that takes a whole task's run
    return 1000
