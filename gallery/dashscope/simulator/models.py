"""The models the simulator serves and DashScope's documented limits on them.

A copy of what gallery/dashscope/catalog.py holds, on purpose: the simulator speaks for DashScope,
the catalog for us, so a mistake in one shows up as a refusal from the other.
tests/test_simulator_catalog.py checks that the two copies agree.

Two tables, one per protocol: MODELS (text-to-image V2, `input.prompt`) and GENERATION_MODELS
(image-generation, `input.messages`). A model sent to the other protocol's endpoint answers
"url error", as DashScope does.
"""

import dataclasses
from dataclasses import dataclass, field

SEED_MAX = 2147483647
N_MAX = 4
NEGATIVE_PROMPT_MAX = 500


@dataclass(frozen=True)
class EachSide:
    """Width and height each from `low` to `high` pixels (the models before wan2.5)."""

    low: int
    high: int

    def refusal(self, size: str, width: int, height: int) -> str | None:
        """DashScope's message refusing this size, or None when it is fine."""
        if self.low <= width <= self.high and self.low <= height <= self.high:
            return None
        return f"parameters.size {size}: width and height must each be {self.low} to {self.high}."


@dataclass(frozen=True)
class PixelsAndAspect:
    """From low*low to high*high pixels in all, the long side at most `aspect` times the short."""

    low: int
    high: int
    aspect: int  # 0: any aspect ratio (qwen-image documents none)

    def refusal(self, size: str, width: int, height: int) -> str | None:
        """DashScope's message refusing this size, or None when it is fine."""
        if not self.low**2 <= width * height <= self.high**2:
            return (
                f"parameters.size {size} has {width * height} pixels; "
                f"it needs between {self.low}*{self.low} and {self.high}*{self.high}."
            )
        if self.aspect and max(width, height) > self.aspect * min(width, height):
            ratios = f"1:{self.aspect} to {self.aspect}:1"
            return f"parameters.size {size}: the aspect ratio must be from {ratios}."
        return None


@dataclass(frozen=True)
class Limits:
    """DashScope's per-account limits on one model: unfinished tasks, and submits per second."""

    concurrency: int
    submit_rate: float


OLD_LIMITS = Limits(concurrency=2, submit_rate=2.0)


@dataclass(frozen=True)
class ModelSpec:
    prompt_max: int  # a longer prompt is cut without a word
    default_size: str
    size_rule: EachSide | PixelsAndAspect
    limits: Limits = OLD_LIMITS


# The 2026 corrections, taking the stricter reading: wan2.5 from 1280*1280 pixels (older
# docs: 768*768) and 5 at once; the 2.1 and 2.2 prompts cut at 500 characters (others: 800).
MODELS = {
    "wan2.5-t2i-preview": ModelSpec(
        2000, "1280*1280", PixelsAndAspect(1280, 1440, aspect=4), Limits(5, 2.0)
    ),
    "wan2.2-t2i-plus": ModelSpec(500, "1024*1024", EachSide(512, 1440)),
    "wan2.2-t2i-flash": ModelSpec(500, "1024*1024", EachSide(512, 1440)),
    "wanx2.1-t2i-plus": ModelSpec(500, "1024*1024", EachSide(512, 1440)),
    "wanx2.1-t2i-turbo": ModelSpec(500, "1024*1024", EachSide(512, 1440)),
    "wanx2.0-t2i-turbo": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
}


@dataclass(frozen=True)
class Count:
    """An integer parameter's range and its default."""

    low: int
    high: int
    default: int


@dataclass(frozen=True)
class GenerationSpec:
    """A model of the image-generation protocol, as its API reference documents it."""

    prompt_max: int
    prompt_cut: bool  # True: a longer text is cut without a word; False: refused
    size_rule: PixelsAndAspect  # of a `W*H` size
    default_size: str | None  # None: the model picks one (qwen-image)
    n: Count
    images_max: int = 0  # reference images in the message
    # "1K" -> 1024: a preset asks for 1024*1024 pixels in all, square without images, else in
    # the last image's aspect ratio.
    presets: dict[str, int] = field(default_factory=dict)
    # Text-to-image (no images, no image set) may go up to this many pixels: 4K for -pro.
    text_only_high: int = 0
    set_n: Count | None = None  # enable_sequential: an image set of up to set_n.high
    negative_prompt: bool = False  # parameters.negative_prompt, at most NEGATIVE_PROMPT_MAX
    prompt_extend: bool = False
    thinking_mode: bool = False
    layout: bool = False  # bbox_list and color_palette
    sync_only: bool = False  # the async endpoint refuses it
    counts_tokens: bool = True  # usage's token counts (unbilled); wan2.6 gives 0
    limits: Limits = OLD_LIMITS


WAN27_PRESETS = {"1K": 1024, "2K": 2048, "4K": 4096}
WAN27 = GenerationSpec(
    prompt_max=5000,
    prompt_cut=True,
    size_rule=PixelsAndAspect(768, 2048, aspect=8),
    default_size="2K",
    n=Count(1, 4, 1),
    images_max=9,
    presets=WAN27_PRESETS,
    set_n=Count(1, 12, 12),
    thinking_mode=True,
    layout=True,
    limits=Limits(concurrency=5, submit_rate=5.0),
)
QWEN = GenerationSpec(
    prompt_max=800,
    prompt_cut=True,
    size_rule=PixelsAndAspect(512, 2048, aspect=0),
    default_size=None,
    n=Count(1, 6, 1),
    images_max=3,
    negative_prompt=True,
    prompt_extend=True,
)
GENERATION_MODELS = {
    "wan2.6-t2i": GenerationSpec(
        prompt_max=2100,
        prompt_cut=False,
        size_rule=PixelsAndAspect(1280, 1440, aspect=4),
        default_size="1280*1280",
        n=Count(1, 4, 4),
        negative_prompt=True,
        prompt_extend=True,
        counts_tokens=False,
        limits=Limits(concurrency=5, submit_rate=1.0),  # Beijing's 1/s (5/s elsewhere)
    ),
    "wan2.7-image": WAN27,
    "wan2.7-image-pro": dataclasses.replace(WAN27, text_only_high=4096),
    # qwen-image-2.0(-pro) answer only the synchronous endpoint; 3.0's limits are not listed,
    # so they take the strictest documented Qwen rate, 2 a minute.
    "qwen-image-2.0": dataclasses.replace(QWEN, sync_only=True, limits=Limits(2, 2.0)),
    "qwen-image-2.0-pro": dataclasses.replace(QWEN, sync_only=True, limits=Limits(2, 2 / 60)),
    "qwen-image-3.0": dataclasses.replace(QWEN, limits=Limits(2, 2 / 60)),
    "qwen-image-3.0-pro": dataclasses.replace(QWEN, limits=Limits(2, 2 / 60)),
}


def limits(model: str) -> Limits:
    """The documented limits on a model of either protocol."""
    spec = MODELS.get(model) or GENERATION_MODELS.get(model)
    return spec.limits if spec is not None else OLD_LIMITS
