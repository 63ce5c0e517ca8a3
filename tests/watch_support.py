"""What the watch tests share: a real SMTP server (aiosmtpd) and a loopback webhook receiver, each on a free
port of 127.0.0.1, recording what they were sent."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd's handler: every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def alert_ids(self) -> list[int]:
        return [int(x) for m in self.messages for x in ids(m)]


def ids(message: email.message.Message) -> list[int]:
    """The alert ids a message of ipcockpit names in its ``X-IPCockpit-Alerts`` header."""
    return [int(x) for x in str(message["X-IPCockpit-Alerts"]).replace(" ", "").split(",")]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class Receiver:
    """A webhook receiver: records each POST (headers, JSON body, whether its signature checks out under the
    secrets it was told); answers ``fail_next`` requests with 500 first."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = {}  # list name -> webhook secret
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                data = json.loads(body)
                secret = receiver.secrets.get(data["list"]["name"], "")
                expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                receiver.posts.append({"headers": dict(self.headers), "data": data,
                                       "signed": hmac.compare_digest(expected, self.headers["X-IPCockpit-Signature"])})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def alert_ids(self, list_name: str | None = None) -> list[int]:
        return [a["alert_id"] for p in self.posts for a in p["data"]["alerts"]
                if list_name is None or p["data"]["list"]["name"] == list_name]
