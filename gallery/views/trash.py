"""The trash: move a generation there, list it, restore it. Its author can restore it for
settings.TRASH_DAYS days; then the daily purge removes it for good."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ..models import Generation
from ..permissions import get_generation_to_manage


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_to_manage(request, pk)
    if generation.is_active:
        messages.error(request, _("It is still being made: cancel it first, or wait."))
        return redirect(generation)
    Generation.objects.filter(pk=generation.pk).update(deleted_at=timezone.now())
    messages.success(
        request,
        ngettext(
            "Moved to the trash. Its author can restore it for %(days)s day.",
            "Moved to the trash. Its author can restore it for %(days)s days.",
            settings.TRASH_DAYS,
        )
        % {"days": settings.TRASH_DAYS},
    )
    return redirect("gallery:home")


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    deleted = Generation.objects.in_trash_of(request.user).prefetch_related("images")
    context = {"generations": deleted, "trash_days": settings.TRASH_DAYS}
    return render(request, "gallery/trash.html", context)


@login_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_object_or_404(Generation.objects.in_trash_of(request.user), pk=pk)
    Generation.objects.filter(pk=generation.pk).update(deleted_at=None)
    messages.success(request, _("Restored."))
    return redirect(generation)
