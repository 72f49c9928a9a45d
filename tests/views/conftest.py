"""What the card, detail and file tests share: finished generations with stored images."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from gallery.dashscope.simulator.images import render_png
from gallery.models import GeneratedImage, Generation

from ..conftest import make_generation


def store_image(generation, index, data=None, name=None) -> GeneratedImage:
    seed = generation.seed + index if generation.seed is not None else None
    data = data or render_png(generation.prompt, seed or 0, 64, 64)
    image = GeneratedImage(
        generation=generation, index=index, width=64, height=64, bytes=len(data), seed=seed
    )
    image.original.save(name or f"{index}.png", ContentFile(data), save=False)
    image.thumbnail.save(f"{index}.thumb.webp", ContentFile(b"RIFF thumb"), save=False)
    image.save()
    return image


@pytest.fixture
def done(user, media_root):
    generation = make_generation(
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
        status=Generation.Status.SUCCEEDED,
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
    store_image(generation, 0)
    store_image(generation, 1)
    return generation


@pytest.fixture
def stored(user, media_root):
    generation = make_generation(
        user,
        status=Generation.Status.SUCCEEDED,
        actual_prompt="a lighthouse at dawn, soft light",
        task_id="task-123",
        request_id="req-456",
    )
    image = GeneratedImage(generation=generation, index=0, width=1024, height=1024, seed=42)
    image.original.save("0.png", ContentFile(b"\x89PNG original"), save=False)
    image.thumbnail.save("0.thumb.webp", ContentFile(b"RIFF thumb"), save=False)
    image.save()
    return generation
