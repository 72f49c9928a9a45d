from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Lease(models.Model):
    """A named lock with an expiry, so one dispatcher loop runs in the whole deployment. Times
    are the database's (`Now()`), not each machine's clock, which may be a little off."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    holder = models.CharField(_("holder"), max_length=64)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def acquire(cls, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease; False when someone else holds a live one."""
        expires_at = ExpressionWrapper(
            Now() + timedelta(seconds=ttl), output_field=models.DateTimeField()
        )
        taken = cls.objects.filter(Q(expires_at__lte=Now()) | Q(holder=holder), name=name).update(
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
        cls.objects.filter(name=name, holder=holder).update(expires_at=Now())

    @classmethod
    def is_held(cls, name: str) -> bool:
        return cls.objects.filter(name=name, expires_at__gt=Now()).exists()
