"""SimulatorServer: one simulator on a loopback port, and the routes of its API.

It binds at once (callers may connect before start() returns), serves in a thread or in the
foreground, and answers each /api/v1 call by route, then account, then key, then the call's
own checks: the order in which DashScope reports a request that breaks two rules.
"""

import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from . import image_generation, text2image
from .config import SimulatorConfig, apply_changes
from .errors import ApiError
from .faults import Dice
from .handler import Handler
from .images import FAMILIES, OssError, check_signature, render_png, signed_url
from .tasks import Task, TaskBook, TaskRequest
from .validation import list_query


class _HTTPServer(ThreadingHTTPServer):
    """Knows its open connections, so that stop() can end the kept-alive ones too: a stopped
    simulator answers nothing, as a DashScope that is down."""

    daemon_threads = True

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed by its client meanwhile


TASK_PATH = re.compile(r"/api/v1/tasks/([^/]+)")
CANCEL_PATH = re.compile(r"/api/v1/tasks/([^/]+)/cancel")


class SimulatorServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SimulatorConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock = clock  # epoch seconds; a test may put in one it moves by hand
        self.log_requests = False  # the CLI turns this on
        self._secret = secrets.token_bytes(32)  # signs result URLs; dies with the server
        self._dice = Dice(self.config.random_seed)
        self._tasks = TaskBook(self._dice)
        self._httpd = self._listen(host, port)
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False

    def _listen(self, host: str, port: int) -> _HTTPServer:
        httpd = _HTTPServer((host, port), Handler)
        httpd.simulator = self  # type: ignore[attr-defined]
        return httpd

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api/v1"

    def start(self) -> None:
        """Serve; after a stop(), again on the same port, remembering every task (as DashScope
        does after an outage)."""
        if self._closed:
            self._httpd = self._listen(*self._httpd.server_address[:2])
            self._closed = False
        # The socket already listens (bound in __init__), so callers may connect at once.
        self._serving = True  # so that a stop() right away still ends the loop
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.02)  # short poll: stop() is quick
        finally:
            self._serving = False

    def stop(self) -> None:
        if self._serving:
            self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.drop_connections()
        self._closed = True
        if self._thread is not None:
            self._thread.join()

    # --- the /_sim controls ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every task and counter; the dice start again from config.random_seed."""
        self._dice.reseed(self.config.random_seed)
        self._tasks.clear()

    def stats(self) -> dict:
        return self._tasks.stats(self.config, self.clock())

    def update_config(self, changes: Mapping[str, Any]) -> None:
        """Apply a JSON object of config fields (the /_sim/config control)."""
        apply_changes(self.config, changes)
        if "random_seed" in changes:
            self._dice.reseed(self.config.random_seed)

    # --- the API ---------------------------------------------------------------------------

    def begin_api_call(self, method: str, path: str) -> tuple[str | None, bool]:
        """Count a poll, then draw the faults of one API call: (fault, slow)."""
        if method == "GET" and (m := TASK_PATH.fullmatch(path)):
            self._tasks.count_poll(m[1], self.clock())  # every poll counts, whatever it is answered
        return self._dice.faults(self.config)

    def count_rejected(self, code: str) -> None:
        self._tasks.count_rejected(code)

    def handle_api(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, host: str
    ) -> dict:
        """Answer one /api/v1 call with a 200 body, or raise ApiError."""
        if method == "POST" and path == text2image.SUBMIT_PATH:
            call, args = self._submit, (headers, body, text2image.parse_submit)
        elif method == "POST" and path == image_generation.SUBMIT_PATH:
            call, args = self._submit, (headers, body, image_generation.parse_submit)
        elif method == "POST" and path == image_generation.SYNC_PATH:
            call, args = self._generate_now, (body, host)
        elif method == "POST" and (m := CANCEL_PATH.fullmatch(path)):
            call, args = self._cancel, (m[1],)
        elif method == "GET" and (m := TASK_PATH.fullmatch(path)):
            call, args = self._query, (m[1], host)
        elif method == "GET" and path == "/api/v1/tasks":
            call, args = self._list, (parse_qs(query),)
        else:
            raise ApiError(404, "NotFound", f"{method} {path} is not an API of this service.")
        if self.config.arrearage:
            message = "Access denied, please make sure your account is in good standing."
            raise ApiError(400, "Arrearage", message)
        # Any valid key may read any task: keys stand for accounts only in the limits.
        scheme, _, key = headers.get("Authorization", "").partition(" ")
        valid = self.config.valid_keys
        bad_key = not key.startswith("sk-") or (valid is not None and key not in valid)
        if scheme.lower() != "bearer" or bad_key:
            raise ApiError(401, "InvalidApiKey", "Invalid API-key provided.")
        workspace = self.config.workspace
        if workspace is not None and headers.get("X-DashScope-WorkSpace") != workspace:
            raise ApiError(403, "Workspace.AccessDenied", "Workspace access denied.")
        return call(key, *args)

    def _submit(
        self,
        key: str,
        headers: Mapping[str, str],
        body: bytes,
        parse: Callable[[bytes, str], TaskRequest],
    ) -> dict:
        if headers.get("X-DashScope-Async", "").lower() != "enable":
            message = "current user api does not support synchronous calls"
            raise ApiError(403, "AccessDenied", message)
        request = parse(body, self.config.inspection_word)
        task = self._tasks.submit(key, request, self.config, self.clock())
        return {"output": {"task_status": "PENDING", "task_id": task.task_id}}

    def _generate_now(self, key: str, body: bytes, host: str) -> dict:
        """The synchronous call: generate and answer at once."""
        request = image_generation.parse_submit(body, self.config.inspection_word, sync=True)
        task = self._tasks.submit(key, request, self.config, self.clock())
        return image_generation.sync_answer(task, self._image_urls(task, host))

    def _query(self, key: str, task_id: str, host: str) -> dict:
        now = self.clock()
        task, status = self._tasks.query(key, task_id, self.config, now)
        if task is None or status == "UNKNOWN":
            return {"output": {"task_id": task_id, "task_status": "UNKNOWN"}}
        image_url = self._image_urls(task, host)
        if task.request.protocol == image_generation.PROTOCOL:
            at_top = self.config.failed_code_at_top
            return image_generation.answer(task, status, now, image_url, at_top)
        return text2image.answer(task, status, now, image_url)

    def _image_urls(self, task: Task, host: str) -> Callable[[int], str]:
        """Signs the result URLs of a task, in its protocol's family, on the client's host."""
        expires = int(task.finished_at + self.config.url_ttl_seconds)
        family = FAMILIES[task.request.protocol]

        def image_url(index: int) -> str:
            return signed_url(self._secret, host, family, task.task_id, index, expires)

        return image_url

    def _cancel(self, key: str, task_id: str) -> dict:
        self._tasks.cancel(task_id, self.config, self.clock())
        return {}

    def _list(self, key: str, params: dict[str, list[str]]) -> dict:
        q = list_query(params)
        rows = self._tasks.listing(key, q, self.config, self.clock())
        page = rows[(q.page_no - 1) * q.page_size : q.page_no * q.page_size]
        return {"data": page, "total": len(rows), "page_no": q.page_no, "page_size": q.page_size}

    # --- result downloads ------------------------------------------------------------------

    def result_image(self, family: str, task_id: str, index: int, query: str) -> bytes:
        """The PNG behind a signed result URL; raises OssError as OSS would answer."""
        check_signature(self._secret, family, task_id, index, query, self.clock())
        task = self._tasks.get(task_id)
        if (
            task is None
            or FAMILIES[task.request.protocol] != family
            or index >= task.request.n - task.failed_images
        ):
            raise OssError(404, "NoSuchKey", "The specified key does not exist.")
        self._tasks.count_download(task_id, self.clock())
        r = task.request
        return render_png(r.prompt, r.seed + index, r.width, r.height, r.watermark, r.references)
