"""`manage.py dashscope_simulator`: the DashScope simulator in the foreground, for development."""

from django.core.management.base import BaseCommand

from gallery.dashscope.simulator import add_arguments, run


class Command(BaseCommand):
    help = "Serve a local DashScope text-to-image simulator until Ctrl-C."
    requires_system_checks = []  # it touches nothing of Django's

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def handle(self, *args, **options) -> None:
        run(options, self._announce, log=options["verbosity"] > 1)

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # a parent process may be waiting for this line on a pipe
