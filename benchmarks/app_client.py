"""A clerk's browser opening an app, as the server sees it: the requests without the drawing.

:class:`ProtocolClerk` makes ``ecerp serve`` do what a warm browser's opening of an app makes it do,
and nothing the browser keeps in its cache (Voila's front end and the widget extensions are served
``immutable``: a warm browser asks for none of them):

1. ``GET`` the app page through the sign-in cookie: Voila takes a preheated kernel, hands it the
   signed-in user, the notebook builds the desk, Voila renders the page's HTML;
2. ``GET /api/kernels/<id>`` (the front end's kernel model, never cached) and open the kernel's
   websocket with the browser's subprotocol (``v1.kernel.websocket.jupyter.org``: the server
   forwards frames without decoding them);
3. ``kernel_info_request``, answered before anything else is sent, as JupyterLab's kernel
   connection does;
4. what the ipywidgets 8 widget manager does to load the page's widgets: open a
   ``jupyter.widget.control`` comm, send it ``request_states``, wait for ``update_states`` (every
   model's state in one message) and close the comm. The browser then makes its models without
   a message to the kernel (their comms exist already).

The websocket stays open until :meth:`ProtocolClerk.close`, as a clerk's tab stays open.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

SUBPROTOCOL = "v1.kernel.websocket.jupyter.org"
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]+)"')
XSRF_FIELD = re.compile(r'name="_xsrf" value="([^"]+)"')


class ProtocolClerk:
    """One member of staff's opening of ``url`` (an app page), signed in as ``username``.

    After :meth:`open`, ``marks`` holds seconds from the page request to ``html`` (the page
    received), ``ws`` (the kernel's websocket open) and ``state`` (every widget's state received),
    and ``models`` the number of widget models in that state."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 60.0) -> None:
        self.url = url
        self.base = url.split("/voila/", 1)[0]
        self.username, self.password = username, password
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.session = uuid.uuid4().hex
        self.kernel_id: str | None = None
        self.ws: WebSocketClientConnection | None = None
        self.marks: dict[str, float] = {}
        self.http = AsyncHTTPClient()

    # --- HTTP with the browser's cookies ---------------------------------------------------------
    async def _fetch(self, url: str, **kwargs):
        headers = {"Accept-Language": "zh-CN,zh;q=0.9", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = self._cookie()
        request = HTTPRequest(url, headers=headers, request_timeout=self.timeout, **kwargs)
        response = await self.http.fetch(request, raise_error=False)
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def _cookie(self) -> str:
        """The ``Cookie`` header of what the server has set so far."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def sign_in(self) -> None:
        """The sign-in form, once before the opening (untimed, as for the browsers)."""
        page = await self._fetch(f"{self.base}/login")
        xsrf = XSRF_FIELD.search(page.body.decode()).group(1)
        form = urlencode({"_xsrf": xsrf, "username": self.username, "password": self.password})
        done = await self._fetch(f"{self.base}/login", method="POST", body=form, follow_redirects=False)
        if done.code != 302:
            raise RuntimeError(f"signing in failed: HTTP {done.code}")

    # --- the kernel's websocket ------------------------------------------------------------------
    def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": self.username,
            "session": self.session,
            "date": datetime.now(UTC).isoformat(),
            "version": "5.4",
        }
        parts = [json.dumps(part).encode() for part in (header, {}, metadata or {}, content)]
        self.ws.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        return msg_id

    async def _receive(self, wanted) -> dict:
        """The next message (header and content) for which ``wanted(header, content)`` holds."""
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                raise RuntimeError(f"kernel {self.kernel_id} closed its websocket")
            _channel, parts = deserialize_msg_from_ws_v1(frame)
            header = json.loads(parts[0])
            if header["msg_type"] in ("status", "stream"):
                continue
            content = json.loads(parts[3])
            if wanted(header, content):
                return content

    # --- the opening -----------------------------------------------------------------------------
    async def open(self, sent: asyncio.Event | None = None, front_end: float = 0.0) -> dict[str, float]:
        """Open the page and load its widgets' state; ``sent`` is set once the page is asked for;
        ``front_end``: seconds between the HTML received and the kernel's websocket opened (a
        browser loading its cached front end meanwhile)."""
        return await asyncio.wait_for(self._open(sent, front_end), self.timeout)

    async def _open(self, sent: asyncio.Event | None, front_end: float) -> dict[str, float]:
        started = time.perf_counter()
        request = asyncio.ensure_future(self._fetch(self.url))
        if sent is not None:
            await asyncio.sleep(0.01)  # the request is on its way
            sent.set()
        page = await request
        if page.code != 200:
            raise RuntimeError(f"{self.url}: HTTP {page.code}")
        self.marks["html"] = time.perf_counter() - started
        self.kernel_id = KERNEL_ID.search(page.body.decode()).group(1)
        await asyncio.sleep(front_end)
        kernel = f"{self.base}/api/kernels/{self.kernel_id}"
        await self._fetch(f"{kernel}?{int(time.time() * 1000)}")
        channels = HTTPRequest(
            f"ws{kernel[4:]}/channels?session_id={uuid.uuid4()}",
            headers={"Cookie": self._cookie()},
        )
        self.ws = await websocket_connect(channels, subprotocols=[SUBPROTOCOL], max_message_size=1 << 28)
        self.marks["ws"] = time.perf_counter() - started
        self._send("kernel_info_request", {})
        await self._receive(lambda header, _content: header["msg_type"] == "kernel_info_reply")
        control = str(uuid.uuid4())
        self._send(
            "comm_open",
            {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            {"version": "1.0.0"},
        )
        self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        states = await self._receive(
            lambda header, content: (
                header["msg_type"] == "comm_msg"
                and content.get("comm_id") == control
                and content["data"].get("method") == "update_states"
            )
        )
        self.marks["state"] = time.perf_counter() - started
        self.marks["models"] = len(states["data"]["states"])
        self._send("comm_close", {"comm_id": control, "data": {}})
        return self.marks

    def close(self) -> None:
        """The tab closed: the websocket goes (the kernel stays until culled, as a browser's)."""
        if self.ws is not None:
            self.ws.close()
            self.ws = None
