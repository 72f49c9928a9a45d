"""The text-to-image V2 models and their limits, as DashScope documents them."""

from __future__ import annotations

from dataclasses import dataclass

NEGATIVE_PROMPT_MAX = 500
SEED_MAX = 2_147_483_647
N_MAX = 4


@dataclass(frozen=True)
class WanModel:
    name: str
    label: str
    prompt_max: int
    default_size: tuple[int, int]
    # Either each side within [side_min, side_max] or, for wan2.5, total pixels and aspect ratio.
    side_min: int = 512
    side_max: int = 1440
    pixels_min: int = 0
    pixels_max: int = 0
    aspect_max: float = 0.0

    def size_error(self, width: int, height: int) -> str | None:
        """Why DashScope would refuse this size for this model, or None when it is fine."""
        if self.pixels_max:
            pixels = width * height
            if not self.pixels_min <= pixels <= self.pixels_max:
                return (
                    f"{self.name} needs between {_pixels(self.pixels_min)} and "
                    f"{_pixels(self.pixels_max)} pixels in all; {width}×{height} has "
                    f"{pixels:,}."
                )
            if max(width, height) > self.aspect_max * min(width, height):
                return f"{self.name} needs an aspect ratio between 1:4 and 4:1."
            return None
        if not (
            self.side_min <= width <= self.side_max and self.side_min <= height <= self.side_max
        ):
            return f"{self.name} needs each side between {self.side_min} and {self.side_max} px."
        return None

    @property
    def size_rule(self) -> str:
        if self.pixels_max:
            return (
                f"{_pixels(self.pixels_min)} to {_pixels(self.pixels_max)} pixels, "
                "aspect 1:4 to 4:1"
            )
        return f"each side {self.side_min}–{self.side_max} px"


def _pixels(total: int) -> str:
    side = round(total**0.5)
    return f"{side}×{side}"


MODELS = {
    model.name: model
    for model in [
        WanModel("wanx2.1-t2i-turbo", "Wan 2.1 Turbo", 800, (1024, 1024)),
        WanModel("wanx2.1-t2i-plus", "Wan 2.1 Plus", 800, (1024, 1024)),
        WanModel("wan2.2-t2i-flash", "Wan 2.2 Flash", 800, (1024, 1024)),
        WanModel("wan2.2-t2i-plus", "Wan 2.2 Plus", 800, (1024, 1024)),
        WanModel(
            "wan2.5-t2i-preview",
            "Wan 2.5 Preview",
            2000,
            (1280, 1280),
            pixels_min=768 * 768,
            pixels_max=1440 * 1440,
            aspect_max=4.0,
        ),
        WanModel("wanx2.0-t2i-turbo", "Wan 2.0 Turbo", 800, (1024, 1024)),
    ]
}
DEFAULT_MODEL = "wanx2.1-t2i-turbo"

# Presets offered on the form; each is checked against the chosen model like a custom size.
SIZE_PRESETS = [
    (1024, 1024),
    (1280, 1280),
    (1440, 1440),
    (1024, 768),
    (768, 1024),
    (1280, 720),
    (720, 1280),
    (1440, 810),
    (810, 1440),
]
