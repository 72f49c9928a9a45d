"""The simulator's model tables and gallery/dashscope/catalog.py describe the same models alike.

They stay two copies on purpose (the simulator speaks for DashScope, the catalog for us); these
tests make sure a limit changed on one side is changed on the other, or the form would let
through what the simulator refuses, or the other way round. Where DashScope documents no rule
(Qwen-Image's aspect ratio) the catalog may be the stricter: it may refuse more, never less.
"""

import itertools

import pytest

from gallery.dashscope import catalog
from gallery.dashscope.simulator import image_generation, validation
from gallery.dashscope.simulator import models as simulated
from gallery.dashscope.simulator.errors import ApiError

# Every bound of both tables, a pixel either side, and the form's presets.
SIDES = sorted(
    {256, 4000, 4096}
    | {side + d for side in (512, 720, 768, 1280, 1440, 2048, 2880) for d in (-1, 0, 1)}
    | {side for preset in catalog.SIZE_PRESETS for side in preset}
)
UNDOCUMENTED_ASPECT = {"qwen-image-3.0", "qwen-image-3.0-pro"}


def simulated_spec(name: str):
    return simulated.MODELS.get(name) or simulated.GENERATION_MODELS[name]


def test_the_catalog_offers_every_model_the_simulator_serves_asynchronously():
    served = set(simulated.MODELS) | {
        name for name, spec in simulated.GENERATION_MODELS.items() if not spec.sync_only
    }
    assert set(catalog.MODELS) == served
    sync_only = {name for name, spec in simulated.GENERATION_MODELS.items() if spec.sync_only}
    assert sync_only == set(catalog.LEFT_OUT)


def test_they_share_the_limits_of_every_model():
    assert simulated.SEED_MAX == catalog.SEED_MAX
    assert simulated.NEGATIVE_PROMPT_MAX == catalog.NEGATIVE_PROMPT_MAX


@pytest.mark.parametrize("name", sorted(catalog.MODELS))
def test_they_agree_on_the_prompt_count_images_and_rates(name):
    ours, dashscopes = catalog.MODELS[name], simulated_spec(name)
    assert ours.prompt_max == dashscopes.prompt_max
    n_max = dashscopes.n.high if name in simulated.GENERATION_MODELS else simulated.N_MAX
    assert ours.n_max == n_max
    assert ours.reference_images_max == getattr(dashscopes, "images_max", 0)
    limits = simulated.limits(name)
    assert (ours.concurrency, ours.submit_rate_in(catalog.Region.BEIJING)) == (
        limits.concurrency,
        limits.submit_rate,
    )
    if dashscopes.default_size is not None:
        assert ours.default_size == dashscopes.default_size


def simulator_accepts(name: str, size: str) -> bool:
    try:
        if name in simulated.MODELS:
            validation.size(size, simulated.MODELS[name])
        else:
            image_generation._size(size, simulated.GENERATION_MODELS[name], [], image_set=False)
    except ApiError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(catalog.MODELS))
def test_they_accept_and_refuse_the_same_sizes(name):
    ours = catalog.MODELS[name]
    sizes = [f"{w}*{h}" for w, h in itertools.product(SIDES, repeat=2)]
    sizes += list(catalog.NAMED_SIZES) if name in simulated.GENERATION_MODELS else []
    disagreements = []
    for size in sizes:
        accepted, allowed = simulator_accepts(name, size), ours.size_error(size) is None
        if allowed and not accepted:
            disagreements.append(f"{size} refused")
        elif accepted and not allowed and name not in UNDOCUMENTED_ASPECT:
            disagreements.append(f"{size} accepted")
    assert not disagreements, f"the simulator, unlike the catalog: {disagreements}"
