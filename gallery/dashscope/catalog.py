"""Every model wanxweb offers, as data: its protocol, where it is served and under which name,
what it takes and its limits, its price, and how fast DashScope lets us send it work.

The facts are DashScope's (../shared/dashscope-api.md, dashscope-image-generation-api.md);
where those leave a point unconfirmed, the stricter reading is taken and the line says so.
The simulator keeps its own copy (simulator/models.py); tests/test_simulator_catalog.py
checks the two agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

NEGATIVE_PROMPT_MAX = 500
SEED_MAX = 2_147_483_647


class Protocol(StrEnum):
    TEXT2IMAGE = "text2image"  # …/text2image/image-synthesis: input.prompt, output.results
    IMAGE_GENERATION = "image-generation"  # …/image-generation/generation: input.messages


class Region(StrEnum):
    BEIJING = "cn-beijing"
    SINGAPORE = "ap-southeast-1"
    VIRGINIA = "us-east-1"


class Param(StrEnum):
    """The optional parameters a model may take; the form offers only a model's own."""

    NEGATIVE_PROMPT = "negative_prompt"
    PROMPT_EXTEND = "prompt_extend"
    WATERMARK = "watermark"
    SEED = "seed"
    THINKING_MODE = "thinking_mode"  # wan2.7: think the layout through first (slower)
    ENABLE_SEQUENTIAL = "enable_sequential"  # wan2.7: an image set of related images
    COLOR_PALETTE = "color_palette"  # wan2.7: 3–10 colours and their shares
    BBOX_LIST = "bbox_list"  # wan2.7: up to 2 boxes on each reference image, to work in


@dataclass(frozen=True)
class EachSide:
    """Width and height each from `low` to `high` pixels."""

    low: int
    high: int

    def refusal(self, width: int, height: int) -> str | None:
        if self.low <= width <= self.high and self.low <= height <= self.high:
            return None
        return _("each side between %(low)s and %(high)s px") % {"low": self.low, "high": self.high}

    def __str__(self) -> str:
        return _("each side %(low)s–%(high)s px") % {"low": self.low, "high": self.high}


@dataclass(frozen=True)
class PixelsAndAspect:
    """From low×low to high×high pixels in all, the long side at most `aspect` times the short."""

    low: int
    high: int
    aspect: int

    def refusal(self, width: int, height: int) -> str | None:
        pixels = width * height
        if not self.low**2 <= pixels <= self.high**2:
            return _(
                "between %(low)s×%(low)s and %(high)s×%(high)s pixels in all "
                "(%(width)s×%(height)s has %(pixels)s)"
            ) % {
                "low": self.low,
                "high": self.high,
                "width": width,
                "height": height,
                "pixels": f"{pixels:,}",
            }
        if max(width, height) > self.aspect * min(width, height):
            return _("an aspect ratio between 1:%(most)s and %(most)s:1") % {"most": self.aspect}
        return None

    def __str__(self) -> str:
        return _("%(low)s×%(low)s to %(high)s×%(high)s pixels, aspect 1:%(most)s to %(most)s:1") % {
            "low": self.low,
            "high": self.high,
            "most": self.aspect,
        }


SizeRule = EachSide | PixelsAndAspect

# wan2.7's named sizes: their total pixels; the shape is square, or the last reference image's.
NAMED_SIZES = {"1K": 1024, "2K": 2048, "4K": 4096}


@dataclass(frozen=True)
class Model:
    name: str  # as Beijing names it, and as records store it
    label: str
    protocol: Protocol
    prompt_max: int
    size_rule: SizeRule  # for a "W*H" size
    default_size: str  # "W*H" or a named size
    prices: dict[
        Region, Decimal
    ]  # CNY per returned image; a region serving it but not listed: absent
    names: dict[Region, str]  # the regions that serve it, and its name there
    takes: frozenset[Param]
    n_max: int = 4
    n_default: int = 1  # the form's; DashScope's own default differs per model, so n is always sent
    set_n_max: int = 0  # images in an image set (ENABLE_SEQUENTIAL)
    named_sizes: tuple[str, ...] = ()
    # wan2.7-image-pro: more is allowed when no reference image is attached.
    named_sizes_without_images: tuple[str, ...] = ()
    size_rule_without_images: SizeRule | None = None
    reference_images_max: int = 0
    concurrency: int = (
        2  # tasks at DashScope at once, per account (DASHSCOPE_CONCURRENCY overrides)
    )
    submit_rate: float = 2.0  # submits per second, per account (DASHSCOPE_SUBMIT_RATE overrides)
    submit_rates: dict[Region, float] = field(default_factory=dict)  # where a region differs

    @property
    def submits_one_at_a_time(self) -> bool:
        """Its finished tasks do not name their prompt (no `orig_prompt`), so a submit whose
        answer was lost can be told from the other tasks in DashScope's list only by being
        the one unanswered submit of its model: one is sent at a time (reconciliation.py)."""
        return self.protocol is Protocol.IMAGE_GENERATION

    def name_in(self, region: Region) -> str:
        return self.names[region]

    def price_in(self, region: Region) -> Decimal | None:
        return self.prices.get(region)

    def submit_rate_in(self, region: Region) -> float:
        return self.submit_rates.get(region, self.submit_rate)

    def n_max_for(self, image_set: bool) -> int:
        return self.set_n_max if image_set and self.set_n_max else self.n_max

    def sizes_for(
        self, references: int, image_set: bool = False
    ) -> tuple[tuple[str, ...], SizeRule]:
        """The named sizes and the rule for "W*H" sizes, with this many reference images
        (text-to-image, without either, may be larger on wan2.7-image-pro)."""
        if references == 0 and not image_set and self.size_rule_without_images is not None:
            return self.named_sizes + self.named_sizes_without_images, self.size_rule_without_images
        return self.named_sizes, self.size_rule

    def size_error(self, size: str, references: int = 0, image_set: bool = False) -> str | None:
        """Why DashScope would refuse `size` ("W*H" or a named size), or None if it is fine."""
        named, rule = self.sizes_for(references, image_set)
        if size in NAMED_SIZES:
            if size in named:
                return None
            if size in self.named_sizes_without_images:
                return _(
                    "%(model)s makes %(size)s images only from text alone: no reference images, "
                    "no image set."
                ) % {"model": self.label, "size": size}
            return _("%(model)s takes no %(size)s size.") % {"model": self.label, "size": size}
        width, height = (int(side) for side in size.split("*"))
        refusal = rule.refusal(width, height)
        return (
            _("%(model)s needs %(rule)s.") % {"model": self.label, "rule": refusal}
            if refusal
            else None
        )

    @property
    def default_size_text(self) -> str:
        return self.default_size.replace("*", "×")

    @property
    def size_rule_text(self) -> str:
        named = ", ".join(self.named_sizes + self.named_sizes_without_images)
        text = (
            _("%(named)s, or %(rule)s") % {"named": named, "rule": self.size_rule}
            if named
            else str(self.size_rule)
        )
        if self.size_rule_without_images is not None:
            return _("%(text)s (%(side)s² without reference images)") % {
                "text": text,
                "side": self.size_rule_without_images.high,
            }
        return text


def _cny(beijing: str, singapore: str | None = None, **others: str) -> dict[Region, Decimal]:
    prices = {Region.BEIJING: Decimal(beijing)}
    if singapore:
        prices[Region.SINGAPORE] = Decimal(singapore)
    prices.update({Region[name.upper()]: Decimal(value) for name, value in others.items()})
    return prices


def _served(beijing: str, singapore: str | None = None, virginia: str | None = None):
    names = {Region.BEIJING: beijing, Region.SINGAPORE: singapore, Region.VIRGINIA: virginia}
    return {region: name for region, name in names.items() if name}


V2 = Protocol.TEXT2IMAGE
NEW = Protocol.IMAGE_GENERATION
CLASSIC = frozenset({Param.NEGATIVE_PROMPT, Param.PROMPT_EXTEND, Param.WATERMARK, Param.SEED})
# negative_prompt and prompt_extend are not documented for wan2.7: not offered.
WAN27_TAKES = frozenset(
    {
        Param.WATERMARK,
        Param.SEED,
        Param.THINKING_MODE,
        Param.ENABLE_SEQUENTIAL,
        Param.COLOR_PALETTE,
        Param.BBOX_LIST,
    }
)
# One 2026 copy caps the 2.1 and 2.2 prompts at 500 characters, others at 800: the stricter.
SIDES_512_1440 = EachSide(512, 1440)

WAN27 = Model(
    "wan2.7-image",
    "Wan 2.7 Image",
    NEW,
    5000,
    PixelsAndAspect(768, 2048, aspect=8),
    "2K",
    _cny("0.20", "0.220177"),
    _served("wan2.7-image", "wan2.7-image"),
    WAN27_TAKES,
    named_sizes=("1K", "2K"),
    reference_images_max=9,
    set_n_max=12,
    concurrency=5,
    submit_rate=5.0,
)

MODELS = {
    model.name: model
    for model in [
        WAN27,
        dataclasses.replace(  # the same, larger from text alone
            WAN27,
            name="wan2.7-image-pro",
            label="Wan 2.7 Image Pro",
            prices=_cny("0.50", "0.562065"),
            names=_served("wan2.7-image-pro", "wan2.7-image-pro"),
            named_sizes_without_images=("4K",),
            size_rule_without_images=PixelsAndAspect(768, 4096, aspect=8),
        ),
        Model(
            "wan2.6-t2i",
            "Wan 2.6",
            NEW,
            2100,
            PixelsAndAspect(1280, 1440, aspect=4),
            "1280*1280",
            _cny("0.20", "0.220177", virginia="0.20"),
            _served("wan2.6-t2i", "wan2.6-t2i", "wan2.6-t2i"),
            CLASSIC,
            concurrency=5,
            submit_rate=5.0,
            submit_rates={Region.BEIJING: 1.0},
        ),
        Model(
            "wan2.5-t2i-preview",
            "Wan 2.5 Preview",
            V2,
            2000,
            # Older docs allow from 768×768; the 2026 ones from 1280×1280: the stricter.
            PixelsAndAspect(1280, 1440, aspect=4),
            "1280*1280",
            _cny("0.20"),
            _served("wan2.5-t2i-preview", "wan2.5-t2i-preview"),
            CLASSIC,
            concurrency=5,
        ),
        Model(
            "wan2.2-t2i-plus",
            "Wan 2.2 Plus",
            V2,
            500,
            SIDES_512_1440,
            "1024*1024",
            _cny("0.20"),
            _served("wan2.2-t2i-plus", "wan2.2-t2i-plus"),
            CLASSIC,
        ),
        Model(
            "wan2.2-t2i-flash",
            "Wan 2.2 Flash",
            V2,
            500,
            SIDES_512_1440,
            "1024*1024",
            _cny("0.14"),
            _served("wan2.2-t2i-flash", "wan2.2-t2i-flash"),
            CLASSIC,
        ),
        Model(
            "wanx2.1-t2i-turbo",
            "Wan 2.1 Turbo",
            V2,
            500,
            SIDES_512_1440,
            "1024*1024",
            _cny("0.14"),
            _served("wanx2.1-t2i-turbo", "wan2.1-t2i-turbo"),
            CLASSIC,
        ),
        Model(
            "wanx2.1-t2i-plus",
            "Wan 2.1 Plus",
            V2,
            500,
            SIDES_512_1440,
            "1024*1024",
            _cny("0.20"),
            _served("wanx2.1-t2i-plus", "wan2.1-t2i-plus"),
            CLASSIC,
        ),
        Model(
            "wanx2.0-t2i-turbo",
            "Wan 2.0 Turbo",
            V2,
            800,
            SIDES_512_1440,
            "1024*1024",
            _cny("0.04"),
            _served("wanx2.0-t2i-turbo"),
            CLASSIC,
        ),
    ]
    + [
        # Marked asynchronous but unconfirmed, with no price, prompt limit, aspect or rate
        # listed: the strictest documented Qwen values (2 submits a minute), overridable.
        Model(
            name,
            label,
            NEW,
            800,
            PixelsAndAspect(512, 2048, aspect=4),
            "1328*1328",
            {},
            _served(name),
            frozenset({Param.WATERMARK, Param.SEED}),
            n_max=6,
            reference_images_max=3,
            concurrency=2,
            submit_rate=2 / 60,
        )
        for name, label in [
            ("qwen-image-3.0", "Qwen-Image 3.0"),
            ("qwen-image-3.0-pro", "Qwen-Image 3.0 Pro"),
        ]
    ]
}
DEFAULT_MODEL = "wanx2.1-t2i-turbo"
EDITING_MODEL = "wan2.7-image"  # chosen for "Use as reference" when the last model edits not

# Served only synchronously: a call without a task id cannot be recovered when its answer is
# lost, and might be paid twice, so wanxweb does not offer them.
LEFT_OUT = {
    "qwen-image-2.0": "served only synchronously",
    "qwen-image-2.0-pro": "served only synchronously",
}

# "W*H" sizes offered on the form; each model is offered those its rule allows.
SIZE_PRESETS = [
    (1024, 1024),
    (1280, 1280),
    (1440, 1440),
    (1024, 768),
    (768, 1024),
    (1536, 1152),
    (1152, 1536),
    (1280, 720),
    (720, 1280),
    (1440, 810),
    (810, 1440),
    (1728, 972),
    (972, 1728),
]


# What this installation uses: its key's region, and DashScope's limits unless overridden.


def region() -> Region:
    from django.conf import settings

    return Region(settings.DASHSCOPE_REGION)


def offered() -> list[Model]:
    """The models DashScope serves in this installation's region."""
    here = region()
    return [model for model in MODELS.values() if here in model.names]


def default_model() -> str:
    """The form's first choice: DEFAULT_MODEL, unless this region does not serve it."""
    names = [model.name for model in offered()]
    return DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]


def concurrency(name: str) -> int:
    """Tasks of model `name` DashScope takes at once for this account."""
    return _overridden("DASHSCOPE_CONCURRENCY", name, MODELS[name].concurrency)


def submit_rate(name: str) -> float:
    """Submits per second of model `name` DashScope takes from this account."""
    return _overridden("DASHSCOPE_SUBMIT_RATE", name, MODELS[name].submit_rate_in(region()))


def price(name: str) -> Decimal | None:
    """CNY an image of model `name` in this installation's region: DASHSCOPE_PRICES where it
    names the model (Alibaba changes prices), else the catalog's; None where neither has one."""
    return _overridden("DASHSCOPE_PRICES", name, MODELS[name].price_in(region()))


def _overridden(setting: str, name: str, default):
    from django.conf import settings

    overrides = getattr(settings, setting)
    return overrides.get(name, overrides.get("*", default))
