"""The simulator on the command line: `python -m gallery.dashscope.simulator` and the Django
command `manage.py dashscope_simulator` share these flags, one per SimulatorConfig field."""

import argparse
import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any

from .config import SimulatorConfig, non_none
from .server import SimulatorServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--host, --port and one flag per SimulatorConfig field, its help text the field's."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    for f in dataclasses.fields(SimulatorConfig):
        flag, kind = "--" + f.name.replace("_", "-"), non_none(f.type)
        kwargs: dict[str, Any] = {"default": f.default, "help": f.metadata["help"]}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            kwargs["nargs"] = "+"
        else:
            kwargs["type"] = kind
        parser.add_argument(flag, **kwargs)


def config_from_options(options: Mapping[str, Any]) -> SimulatorConfig:
    """A config from parsed flags (argparse's namespace as a dict, or Django's options)."""
    names = {f.name for f in dataclasses.fields(SimulatorConfig)}
    return SimulatorConfig(**{k: v for k, v in options.items() if k in names})


def run(options: Mapping[str, Any], announce: Callable[[str], None], log: bool = True) -> None:
    """Serve in the foreground until Ctrl-C, for the CLI and the Django command."""
    server = SimulatorServer(options["host"], options["port"], config_from_options(options))
    server.log_requests = log
    try:
        announce(f"DashScope simulator at {server.base_url}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulate DashScope's image APIs.")
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))
