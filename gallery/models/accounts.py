from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Preferences(models.Model):
    """How the app speaks to and looks for a person, kept for every device they log in from."""

    THEME_COOKIE = "theme"  # this browser's, once one was chosen; a page is drawn in it
    TIME_ZONE_COOKIE = "tz"  # the zone its times are shown in (wanxweb/middleware.py)

    class Theme(models.TextChoices):
        SYSTEM = "", _("As the system")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="preferences",
    )
    # Blank: their browser's language, as Accept-Language says.
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True
    )
    theme = models.CharField(_("theme"), max_length=8, choices=Theme.choices, blank=True)
    # Blank: the installation's TIME_ZONE.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return str(self.user)
