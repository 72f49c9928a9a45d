"""The simulator's model table and gallery/dashscope/catalog.py describe the same models alike.

They stay two copies on purpose (the simulator speaks for DashScope, the catalog for us); these
tests make sure a limit changed on one side is changed on the other, or the form would let
through what the simulator refuses, or the other way round.
"""

import itertools

import pytest

from gallery.dashscope import catalog
from gallery.dashscope.simulator import models as simulated
from gallery.dashscope.simulator import validation
from gallery.dashscope.simulator.errors import ApiError

# Every bound of both tables, a pixel either side, and the form's presets.
SIDES = sorted(
    {256, 4000}
    | {side + d for side in (512, 720, 768, 1440, 2880) for d in (-1, 0, 1)}
    | {side for preset in catalog.SIZE_PRESETS for side in preset}
)


# Both know: the text-to-image V2 models. The catalog's image-generation models (wan2.6-t2i,
# wan2.7-image, qwen-image) are being written beside these; when they land, compare them with
# simulated.GENERATION_MODELS here too (prompt length, n, sizes and presets, image count).
TEXT2IMAGE = sorted(set(catalog.MODELS) & set(simulated.MODELS))


def test_they_list_the_same_text_to_image_models():
    assert sorted(simulated.MODELS) == sorted(
        set(catalog.MODELS) - set(simulated.GENERATION_MODELS)
    )


def test_the_simulator_serves_every_model_of_the_catalog():
    served = set(simulated.MODELS) | set(simulated.GENERATION_MODELS)
    assert set(catalog.MODELS) <= served


def test_they_share_the_limits_of_every_model():
    assert simulated.N_MAX == catalog.N_MAX
    assert simulated.SEED_MAX == catalog.SEED_MAX
    assert simulated.NEGATIVE_PROMPT_MAX == catalog.NEGATIVE_PROMPT_MAX


@pytest.mark.parametrize("name", TEXT2IMAGE)
def test_they_agree_on_the_prompt_length_and_default_size(name):
    ours, dashscopes = catalog.MODELS[name], simulated.MODELS[name]
    assert ours.prompt_max == dashscopes.prompt_max
    assert "{}*{}".format(*ours.default_size) == dashscopes.default_size


@pytest.mark.parametrize("name", TEXT2IMAGE)
def test_they_agree_on_the_size_bounds(name):
    ours, rule = catalog.MODELS[name], simulated.MODELS[name].size_rule
    if isinstance(rule, simulated.PixelsAndAspect):
        bounds = (rule.low**2, rule.high**2, rule.aspect)
        assert (ours.pixels_min, ours.pixels_max, ours.aspect_max) == bounds
    else:
        assert ours.pixels_max == 0, "the catalog bounds pixels, the simulator each side"
        assert (ours.side_min, ours.side_max) == (rule.low, rule.high)


@pytest.mark.parametrize("name", TEXT2IMAGE)
def test_they_accept_and_refuse_the_same_sizes(name):
    ours, dashscopes = catalog.MODELS[name], simulated.MODELS[name]
    disagreements = []
    for width, height in itertools.product(SIDES, repeat=2):
        try:
            validation.size(f"{width}*{height}", dashscopes)
        except ApiError:
            accepted = False
        else:
            accepted = True
        if accepted != (ours.size_error(width, height) is None):
            disagreements.append(f"{width}*{height} {'accepted' if accepted else 'refused'}")
    assert not disagreements, f"the simulator, unlike the catalog: {disagreements}"
