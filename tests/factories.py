"""What tests build: users, generations, and finished generations with their images stored.

One way to make each thing; a test says only what it needs (a size, a count, a team, a prompt)."""

import functools

from django.core.files.base import ContentFile

PASSWORD = "wonderland-2026"  # alice's, the `user` fixture's

# The prompt form as a person fills it in: every field valid.
PROMPT_FORM = {
    "model": "wanx2.1-t2i-turbo",
    "prompt": "a lighthouse at dawn",
    "size": "1024*1024",
    "n": 1,
}


def password_hash(password: str) -> str:
    """Each password is hashed once per run and hasher (tests/conftest.py's `test_settings`
    picks a fast one)."""
    from django.conf import settings

    return _password_hash(password, settings.PASSWORD_HASHERS[0])


@functools.cache
def _password_hash(password: str, hasher: str) -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(password)


def create_user(username: str, password: str | None = None, **fields):
    """A user who can log in with `password`, as `create_user` makes them, but quickly."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(username=username, **fields)
    if password is None:
        user.set_unusable_password()
    else:
        user.password = password_hash(password)
    user.save()
    return user


def make_generation(owner, *, due_at=None, **fields):
    """A generation of `owner`'s; `due_at` sets the time field of its status (a retry, a poll,
    a task-list look-up or a store job's hold, as gallery/lifecycle.py names them)."""
    from gallery.lifecycle import DUE_FIELDS
    from gallery.models import Generation

    if due_at is not None:
        fields[DUE_FIELDS[fields.get("status", Generation.Status.QUEUED)]] = due_at
    defaults = {
        "model": "wanx2.1-t2i-turbo",
        "prompt": "a lighthouse at dawn",
        "width": 1024,
        "height": 1024,
        "n": 1,
        "seed": 42,
    }
    return Generation.objects.create(owner=owner, **{**defaults, **fields})


_FROM_THE_GENERATION = object()


@functools.cache
def drawn_png(prompt: str, seed: int, width: int, height: int) -> bytes:
    """The PNG the simulator draws for these (drawn once: tests store the same ones often)."""
    from gallery.dashscope.simulator.images import render_png

    return render_png(prompt, seed, width, height)


def store_image(
    generation,
    index: int = 0,
    *,
    data: bytes | None = None,
    name: str | None = None,
    width: int = 64,
    height: int = 64,
    seed=_FROM_THE_GENERATION,
):
    """Image `index` of `generation`, stored where the download job stores it: its original (a
    real PNG drawn as the simulator draws it, unless `data` is given; `name` is its file name,
    `<index>.png` by default) and a thumbnail. The test needs `media_root`. Its seed is the
    generation's plus `index`, as DashScope numbers them, unless `seed` is given."""
    from gallery.models import GeneratedImage

    if seed is _FROM_THE_GENERATION:
        seed = generation.seed + index if generation.seed is not None else None
    data = data or drawn_png(generation.prompt, seed or 0, width, height)
    image = GeneratedImage(
        generation=generation, index=index, width=width, height=height, bytes=len(data), seed=seed
    )
    folder = f"generations/{generation.pk}"
    image.original.save(f"{folder}/{name or f'{index}.png'}", ContentFile(data), save=False)
    image.thumbnail.save(f"{folder}/{index}.thumb.webp", ContentFile(b"RIFF thumb"), save=False)
    image.save()
    return image


def finished_generation(owner, *, images: int | None = None, data: bytes | None = None, **fields):
    """A generation of `owner`'s that succeeded, with its first `images` images stored (all `n`
    of them by default; `data` is each original's content). The test needs `media_root`."""
    from gallery.models import Generation

    generation = make_generation(owner, **{"status": Generation.Status.SUCCEEDED, **fields})
    for index in range(generation.n if images is None else images):
        store_image(generation, index, data=data)
    return generation


def billed(*generations, budget_of=None) -> None:
    """The ledger's entries for `generations`, as DashScope's billing would write them, and a
    budget of 10 images for the team `budget_of`."""
    from gallery import usage
    from gallery.models import Budget

    for generation in generations:
        generation.image_count = generation.n
        usage.bill(generation)
    if budget_of is not None:
        Budget.objects.create(team=budget_of, unit=Budget.Unit.IMAGES, limit=10)


def every_page(done, remix, board, team, filters: str) -> list[str]:
    """The address of each page a logged-in person sees, with something on it: `done` (a
    finished generation of two images, shared with `team`, on `board`), its `remix` (both
    `billed`), the home page as `filters` (a query string) narrow it, and a page not found."""
    from django.urls import reverse

    return [
        reverse("gallery:usage"),
        reverse("gallery:team_usage", args=[team.pk]),
        reverse("gallery:home"),
        reverse("gallery:home") + filters,
        reverse("gallery:detail", args=[done.pk]),
        reverse("gallery:detail", args=[remix.pk]),
        reverse("gallery:image", args=[done.pk, 1]),
        reverse("gallery:compare") + f"?a={done.pk}&b={remix.pk}",
        reverse("gallery:boards"),
        reverse("gallery:board", args=[board.pk]),
        reverse("gallery:teams"),
        reverse("gallery:team", args=[team.pk]),
        reverse("gallery:team_gallery", args=[team.pk]),
        reverse("gallery:trash"),
        reverse("password_change"),
        reverse("settings"),
        "/g/999999/",
    ]
