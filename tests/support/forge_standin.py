"""A loopback stand-in for the few GitHub and GitLab REST endpoints the sticky comment uses.

Shapes follow the forges' documentation (GitHub REST "Issue comments", GitLab "Notes API"):

- GitHub: ``GET|POST /repos/{owner}/{repo}/issues/{number}/comments`` (``per_page``/``page``,
  ``Link: <url>; rel="next"``), ``PATCH /repos/{owner}/{repo}/issues/comments/{id}``; a comment
  is ``{"id": int, "body": str, "user": {"login": ...}}``; ``Authorization: Bearer``.
- GitLab: ``GET|POST /projects/{id}/merge_requests/{iid}/notes`` (``X-Next-Page``),
  ``PUT /projects/{id}/merge_requests/{iid}/notes/{note_id}``; ``PRIVATE-TOKEN`` or ``JOB-TOKEN``.

Faults: ``fail[(METHOD, kind)] = status`` answers that status (``kind``: ``list``, ``create``,
``edit``) with an error body; ``rate_limit_once`` answers one 429 with ``Retry-After`` first;
``redirect`` answers 307 to another port; ``huge`` answers a list of more than 4 MiB.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GITHUB_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
GITHUB_EDIT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
GITLAB_LIST = re.compile(r"^/api/v4/projects/(\d+)/merge_requests/(\d+)/notes$")
GITLAB_EDIT = re.compile(r"^/api/v4/projects/(\d+)/merge_requests/(\d+)/notes/(\d+)$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Forge:
    token: str = "forge-token-s3cr3t"
    page_size: int = 100
    threads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)
    rate_limit_once: float | None = None
    redirect: bool = False
    huge: bool = False
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, thread: str, *bodies: str, login: str = "someone") -> None:
        for body in bodies:
            self.threads.setdefault(thread, []).append(
                {"id": self.next_id, "body": body, "user": {"login": login}}
            )
            self.next_id += 1

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def _authorised(self, gitlab: bool) -> bool:
            if gitlab:
                given = self.headers.get("PRIVATE-TOKEN") or self.headers.get("JOB-TOKEN")
                return given == forge.token
            return self.headers.get("Authorization") == f"Bearer {forge.token}"

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            with forge.lock:
                forge.requests.append(
                    Recorded(
                        self.command,
                        parts.path,
                        parse_qs(parts.query),
                        dict(self.headers.items()),
                        body,
                    )
                )
            gitlab = parts.path.startswith("/api/v4/")
            if forge.redirect:
                self._send(307, None, {"Location": "http://127.0.0.1:9/elsewhere"})
                return
            if forge.rate_limit_once is not None:
                wait, forge.rate_limit_once = forge.rate_limit_once, None
                self._send(
                    429, {"message": "API rate limit exceeded"}, {"Retry-After": f"{wait:g}"}
                )
                return
            if not self._authorised(gitlab):
                self._send(401, {"message": "Bad credentials"})
                return
            lst = (GITLAB_LIST if gitlab else GITHUB_LIST).match(parts.path)
            edit = (GITLAB_EDIT if gitlab else GITHUB_EDIT).match(parts.path)
            kind = "list" if lst and self.command == "GET" else "create" if lst else "edit"
            if (self.command, kind) in forge.fail:
                code = forge.fail[(self.command, kind)]
                message = {403: "Resource not accessible by integration", 404: "Not Found"}
                self._send(code, {"message": message.get(code, "error")})
                return
            if lst:
                groups = lst.groups()
                thread = "/".join(groups) if gitlab else f"{groups[0]}/{groups[1]}#{groups[2]}"
                items = forge.threads.setdefault(thread, [])
                if self.command == "GET":
                    self._list(items, parse_qs(parts.query), parts.path, gitlab)
                    return
                if self.command == "POST" and isinstance(body, dict):
                    with forge.lock:
                        item = {"id": forge.next_id, "body": body["body"], "user": {"login": "bot"}}
                        forge.next_id += 1
                        items.append(item)
                    self._send(201, item)
                    return
            if edit and self.command == ("PUT" if gitlab else "PATCH"):
                ident = int(edit.group(edit.lastindex or 0))
                for items in forge.threads.values():
                    for item in items:
                        if item["id"] == ident and isinstance(body, dict):
                            item["body"] = body["body"]
                            self._send(200, item)
                            return
            self._send(404, {"message": "Not Found"})

        def _list(
            self, items: list[dict[str, Any]], query: dict[str, list[str]], path: str, gitlab: bool
        ) -> None:
            if forge.huge:
                filler = [{"id": i, "body": "x" * 60000} for i in range(80)]
                self._send(200, filler)
                return
            page = int(query.get("page", ["1"])[0])
            size = min(forge.page_size, int(query.get("per_page", ["30"])[0]))
            chunk = items[(page - 1) * size : page * size]
            headers: dict[str, str] = {}
            if page * size < len(items):
                host = self.headers.get("Host", "")
                if gitlab:
                    headers["X-Next-Page"] = str(page + 1)
                else:
                    nxt = f"http://{host}{path}?per_page={size}&page={page + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next"'
            self._send(200, chunk, headers)

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    return Handler


class ForgeServer:
    """``with ForgeServer() as (forge, url):`` a stand-in on a free loopback port."""

    def __init__(self, forge: Forge | None = None) -> None:
        self.forge = forge or Forge()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.forge))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> tuple[Forge, str]:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.forge, self.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
