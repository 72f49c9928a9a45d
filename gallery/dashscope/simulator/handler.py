"""The HTTP side of the simulator: one request in, one answer out, as DashScope and OSS send them.

Three kinds of path: /_sim/ controls for tests and benchmarks, result downloads (/results/ and
/dashscope-result-bj/, with OSS's XML errors), and the /api/v1 calls, where the configured
faults strike before the server answers.

A control that changes state takes only a JSON POST bearing CONTROL_HEADER: a web page may POST
text/plain to localhost without asking first, but JSON or a header of its own needs a CORS
preflight, which the simulator never answers (it sends no Access-Control-Allow-* at all).
"""

import dataclasses
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import ApiError, internal_error
from .images import RESULT_PATH, OssError

if TYPE_CHECKING:
    from .server import SimulatorServer

CONTROL_HEADER = "X-Simulator-Control"  # its value: "1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK pools connections
    timeout = 60  # drop idle keep-alive connections, as real servers do

    @property
    def sim(self) -> "SimulatorServer":
        return self.server.simulator  # type: ignore[attr-defined]

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        if url.path.startswith("/_sim/"):
            self._control(url.path, body)
        elif self.command == "GET" and (m := RESULT_PATH.fullmatch(url.path)):
            try:
                png = self.sim.result_image(m[1], m[2], int(m[3]), url.query)
            except OssError as e:
                self._send(e.status, e.xml(), "application/xml")
            else:
                self._send(200, png, "image/png")
        else:
            self._api(url.path, url.query, body)

    do_GET = do_POST = _dispatch

    def _api(self, path: str, query: str, body: bytes) -> None:
        fault, slow = self.sim.begin_api_call(self.command, path)
        if slow:
            time.sleep(self.sim.config.slow_seconds)
        if fault == "reset":
            self.close_connection = True  # hang up without a word
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            if fault == "5xx":
                raise internal_error()
            status = 200
            payload = self.sim.handle_api(self.command, path, query, self.headers, body, host)
        except ApiError as e:
            self.sim.count_rejected(e.code)
            status, payload = e.status, {"code": e.code, "message": e.message}
        if fault == "malformed" and status == 200:
            # The call took effect (a submit made its task); only the answer is cut short.
            self._send(200, b'{"request_id": "', "application/json")
            return
        self._send_json(status, {"request_id": str(uuid.uuid4()), **payload})

    def _control(self, path: str, body: bytes) -> None:
        route = (self.command, path)
        if route == ("GET", "/_sim/stats"):
            self._send_json(200, self.sim.stats())
        elif route == ("GET", "/_sim/config"):
            self._send_json(200, dataclasses.asdict(self.sim.config))
        elif route not in (("POST", "/_sim/config"), ("POST", "/_sim/reset")):
            self._send_json(404, {"error": f"no control {self.command} {path}"})
        elif self.headers.get_content_type() != "application/json":
            self._send_json(415, {"error": "a control takes Content-Type: application/json"})
        elif self.headers.get(CONTROL_HEADER) != "1":
            self._send_json(403, {"error": f"a control needs the header {CONTROL_HEADER}: 1"})
        elif path == "/_sim/config":
            try:
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object")
                self.sim.update_config(changes)
            except ValueError as e:
                self._send_json(400, {"error": str(e)})
            else:
                self._send_json(200, dataclasses.asdict(self.sim.config))
        else:
            self.sim.reset()
            self._send_json(200, {"reset": True})

    def _send_json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.log_requests:
            super().log_message(format, *args)
