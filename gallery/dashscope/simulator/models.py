"""The models the simulator serves and DashScope's documented limits on them.

A copy of what gallery/dashscope/catalog.py holds, on purpose: the simulator speaks for DashScope,
the catalog for us, so a mistake in one shows up as a refusal from the other.
tests/test_simulator_catalog.py checks that the two copies agree.
"""

from dataclasses import dataclass

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
    aspect: int

    def refusal(self, size: str, width: int, height: int) -> str | None:
        """DashScope's message refusing this size, or None when it is fine."""
        if not self.low**2 <= width * height <= self.high**2:
            return (
                f"parameters.size {size} has {width * height} pixels; "
                f"it needs between {self.low}*{self.low} and {self.high}*{self.high}."
            )
        if max(width, height) > self.aspect * min(width, height):
            ratios = f"1:{self.aspect} to {self.aspect}:1"
            return f"parameters.size {size}: the aspect ratio must be from {ratios}."
        return None


@dataclass(frozen=True)
class ModelSpec:
    prompt_max: int  # a longer prompt is cut without a word
    default_size: str
    size_rule: EachSide | PixelsAndAspect


MODELS = {
    "wan2.5-t2i-preview": ModelSpec(2000, "1280*1280", PixelsAndAspect(768, 1440, aspect=4)),
    "wan2.2-t2i-plus": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
    "wan2.2-t2i-flash": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
    "wanx2.1-t2i-plus": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
    "wanx2.1-t2i-turbo": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
    "wanx2.0-t2i-turbo": ModelSpec(800, "1024*1024", EachSide(512, 1440)),
}
