"""A local stand-in for DashScope's image APIs, as their API references describe them: Wan
text-to-image V2 and image-generation (wan2.6-t2i, wan2.7-image, qwen-image).

Standalone on purpose (stdlib + Pillow, no Django): tests, benchmarks and developers run it as
`python -m gallery.dashscope.simulator`, and the official `dashscope` SDK works against it
unchanged. Its parts, each module one idea:

    models      the models and DashScope's limits (its own copy; the catalog is ours)
    config      the knobs, from which the CLI flags and /_sim/config checks are read
    faults      the seeded dice behind injected faults, jitter and random seeds
    validation  request checks, each raising the error body DashScope answers
    text2image  the text-to-image V2 protocol: its submit body and its task's answer
    image_generation  the image-generation protocol (`input.messages`): the same two, and the
                synchronous answer
    references  reference images: data: URIs decoded, checked, kept as thumbnails
    tasks       the tasks, whose status follows from the clock, and per-key limits
    images      signed, expiring result URLs and the PNGs behind them
    server      SimulatorServer: routes, keys and the order of checks
    handler     the HTTP side; cli  the command line

Each protocol is a module with parse_submit and answer, and its routes in server.py; the rest
serves both.
"""

from .cli import add_arguments, config_from_options, main, run
from .config import SimulatorConfig
from .errors import ApiError
from .handler import CONTROL_HEADER
from .server import SimulatorServer

__all__ = [
    "CONTROL_HEADER",
    "ApiError",
    "SimulatorConfig",
    "SimulatorServer",
    "add_arguments",
    "config_from_options",
    "main",
    "run",
]
