"""The simulator's dice: one seeded RNG behind the injected faults, the jitter and random seeds.

Faults (5xx, slow, reset, malformed) apply to /api/v1 calls only, never to result downloads or
/_sim controls. A rate of 0 draws nothing, so turning one knob on does not shift the others'
sequence, and a random_seed makes a whole run repeatable.
"""

import random
import threading

from .config import SimulatorConfig


class Dice:
    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def roll(self, rate: float) -> bool:
        """True for a fraction `rate` of calls."""
        with self._lock:
            return self._roll(rate)

    def randint(self, low: int, high: int) -> int:
        with self._lock:
            return self._rng.randint(low, high)

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._rng.uniform(low, high)

    def faults(self, config: SimulatorConfig) -> tuple[str | None, bool]:
        """The faults of one API call: (fault, slow).

        fault is None, "reset", "5xx" or "malformed"; slow delays whatever answer follows.
        """
        with self._lock:
            slow = self._roll(config.slow_rate)
            for fault, rate in (("reset", config.reset_rate), ("5xx", config.error_rate_5xx)):
                if self._roll(rate):
                    return fault, slow
            return ("malformed" if self._roll(config.malformed_rate) else None), slow

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate
