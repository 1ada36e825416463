"""A real headless browser for the tests: Debian's ``chromium``, driven by the DevTools protocol.

``Browser()`` starts ``chromium --headless --remote-debugging-port=0`` with a fresh profile, connects to
its first page over a WebSocket (the ``websocket-client`` package, in the ``dev`` and ``docs`` extras)
and offers:

* ``visit(url)``: load the page, wait for its ``load`` event and for MathJax to finish typesetting (if the
  page has it), and return what went wrong there: console errors, uncaught exceptions, and failed loads
  (the browser's own log: a missing image, script or stylesheet is "Failed to load resource");
* ``evaluate(expression)``: a JavaScript expression's value (promises awaited), as JSON.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium")
MATHJAX_DONE = ("(window.MathJax && MathJax.startup && MathJax.startup.promise) ? "
                "MathJax.startup.promise.then(() => true) : false")


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools call failed."""


class Browser:
    """One headless Chromium and its first tab, for the length of a ``with`` block."""

    def __init__(self, timeout: float = 60.0) -> None:
        import websocket                                    # the dev extra (tests/conftest.py: browser)

        if CHROMIUM is None:
            raise BrowserError("no chromium on this machine (Debian: apt-get install chromium)")
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory(prefix="nanoae-chromium-", ignore_cleanup_errors=True)
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,1000",
             f"--user-data-dir={self.profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)                         # its own process group: close() ends every child
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
        if not pages:
            raise BrowserError("chromium started without a page")
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout,
                                                  suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _devtools_port(self) -> int:
        """Chromium prints ``DevTools listening on ws://127.0.0.1:PORT/…`` on stderr once it listens."""
        assert self.process.stderr is not None
        deadline = time.monotonic() + self.timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            seen.append(line)
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found[1])
        self.close()
        raise BrowserError("chromium did not open its DevTools port:\n" + "".join(seen[-20:]))

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def _wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == event for e in self.events):
                return
            self.events.append(json.loads(self.socket.recv()))
        raise BrowserError(f"no {event} within {self.timeout} s")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}…: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    def visit(self, url: str) -> list[str]:
        """Open ``url``, let it load and typeset; return its console errors, exceptions and failed loads."""
        self.events = []
        self.call("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired")
        self.evaluate(MATHJAX_DONE)
        self.call("Runtime.evaluate", expression="0")            # flush the events of the last moments
        return [problem for event in self.events for problem in _problem(event)]

    def close(self) -> None:
        """Ask Chromium to quit, then end its whole process group (renderers write to the profile until they
        exit), and only then remove the profile."""
        if getattr(self, "socket", None) is not None:
            try:
                self.socket.send(json.dumps({"id": self.next_id + 1, "method": "Browser.close"}))
                self.process.wait(timeout=10)
            except Exception:                               # already gone, or slow to go: the group is ended below
                pass
            self.socket.close()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        time.sleep(0.2)                                     # a child reparented to init may still be closing files
        self.profile.cleanup()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _problem(event: dict) -> list[str]:
    """A console error, an uncaught exception or a failed load, as one line; else nothing."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        return ["console." + params["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                             for a in params.get("args", []))]
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        return [f"uncaught: {details.get('exception', {}).get('description') or details.get('text')}"]
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return [f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".rstrip()]
    return []


def site_url(site: Path, page: str) -> str:
    return (Path(site) / page).resolve().as_uri()
