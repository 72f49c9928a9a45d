"""Listings in time order, paged by keyset: generations by when they were made, a board's
images by when they were added. One implementation, so the list pages page both alike."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q


class KeysetQuerySet(models.QuerySet):
    """Rows newest (or oldest) first by a timestamp, with the id to break ties, and the rows
    that come after a given one: the next page is found through an index on the timestamp
    instead of counting past an OFFSET."""

    position_field = "created_at"  # the timestamp a subclass orders by

    def in_order(self, oldest_first: bool = False) -> KeysetQuerySet:
        field = self.position_field
        if oldest_first:
            return self.order_by(field, "id")
        return self.order_by(f"-{field}", "-id")

    def following(self, at: datetime, pk: int, oldest_first: bool = False) -> KeysetQuerySet:
        """What comes after the row at (at, pk) in `in_order(oldest_first)`."""
        field = self.position_field
        if oldest_first:
            return self.filter(
                Q(**{f"{field}__gt": at}) | Q(**{field: at, "id__gt": pk}),
                **{f"{field}__gte": at},  # redundant, but lets SQLite seek the index
            )
        return self.filter(
            Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": pk}),
            **{f"{field}__lte": at},
        )

    def position_of(self, row: models.Model) -> tuple[datetime, int]:
        """Where `row` stands in this order: what `following` takes."""
        return getattr(row, self.position_field), row.pk
