"""What the card, detail and file tests share: finished generations with stored images."""

from datetime import timedelta

import pytest

from gallery.models import Generation

from ..factories import finished_generation


@pytest.fixture
def done(user, media_root):
    generation = finished_generation(
        user,
        prompt="a lighthouse at dawn",
        negative_prompt="fog, people",
        actual_prompt="A lone lighthouse at dawn, soft pink light over a calm sea",
        model="wan2.2-t2i-flash",
        width=1024,
        height=768,
        n=2,
        seed=42,
        watermark=True,
        task_id="task-123",
        request_id="req-456",
        image_count=2,
    )
    queued = generation.created_at
    Generation.objects.filter(pk=generation.pk).update(
        submitted_at=queued + timedelta(seconds=2),
        started_at=queued + timedelta(seconds=5),
        finished_at=queued + timedelta(seconds=35),
        completed_at=queued + timedelta(seconds=36),
        task_seconds=33.0,
    )
    generation.refresh_from_db()
    return generation


@pytest.fixture
def stored(user, media_root):
    return finished_generation(
        user,
        actual_prompt="a lighthouse at dawn, soft light",
        task_id="task-123",
        request_id="req-456",
        data=b"\x89PNG original",
    )
