"""Make sure an administrator exists, wait for the web server, then say how to log in."""

import secrets
import signal
import sys
import time

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from wanxweb.private_files import write_private

PASSWORD_FILE = settings.VAR_DIR / "admin-password.txt"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--stay", action="store_true", help="keep running after (for honcho)")

    def handle(self, *args, url: str, username: str, stay: bool, **options) -> None:
        login = self._ensure_admin(username)
        self._wait_for(url)
        mode = "simulated (no DASHSCOPE_API_KEY set)" if settings.DASHSCOPE_SIMULATED else "real"
        self.stdout.write(
            f"\n  wanxweb is running; images are {mode}.\n"
            f"  Open {url} and log in as {login}.\n"
            "  Press Ctrl-C to stop everything.\n"
        )
        self.stdout.flush()
        if stay:  # honcho stops every process when one exits
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while True:
                time.sleep(3600)

    def _ensure_admin(self, username: str) -> str:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(9)
            user = User.objects.create_superuser(username, password=password)
            write_private(PASSWORD_FILE, password + "\n")
        elif PASSWORD_FILE.exists():
            PASSWORD_FILE.chmod(0o600)  # written world-readable before 2026-12
        saved = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else ""
        if saved and user.check_password(saved):
            return f"“{username}” with password “{saved}” (also in {PASSWORD_FILE})"
        return (
            f"“{username}” with the password you set "
            f"(to reset it: .venv/bin/python manage.py changepassword {username})"
        )

    def _wait_for(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.3)
        self.stderr.write(f"{url} did not answer within {seconds:.0f} s")
