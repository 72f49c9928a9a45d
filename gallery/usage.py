"""What the shared key spends: a ledger entry for each task DashScope billed."""

from __future__ import annotations

from . import budgets
from .dashscope import catalog
from .models import Generation, UsageEntry


def bill(generation: Generation) -> UsageEntry | None:
    """Record what DashScope billed for the task of `generation`, seen just now to have
    succeeded: its `image_count` (a partial failure bills only the images it returned) at the
    model's price in this region now. None when it billed nothing. The caller holds the change
    of status that saw it, in the same transaction: a task is billed once."""
    if not generation.image_count:
        return None
    price = catalog.price(generation.model)
    entry = UsageEntry.objects.create(
        generation=generation,
        user_id=generation.owner_id,
        team_id=generation.team_id,
        model=generation.model,
        region=catalog.region(),
        images=generation.image_count,
        unit_price=price,
        cost=None if price is None else price * generation.image_count,
    )
    budgets.note_billed(entry)
    return entry
