"""`python -m gallery.dashscope.simulator`: serve until Ctrl-C (--help lists every knob)."""

from .cli import main

main()
