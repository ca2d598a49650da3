"""Open a local HTML file in headless Chromium and report what the page did (DevTools protocol)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket

FLAGS = [
    "--window-size=1280,2000",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]

#: What the page reports about its charts: id, and the rendered size of the chart's <svg>.
CHARTS_JS = """JSON.stringify({
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  charts: [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector(':scope > svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.id, width: box.width, height: box.height};
  }),
  title: document.title,
})"""


@dataclass
class PageVisit:
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions, failed loads
    ids: list[str] = field(default_factory=list)  # every element id in the rendered DOM
    charts: list[dict] = field(default_factory=list)  # {id, width, height} of every figure.chart
    title: str = ""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _port(profile: Path, proc: subprocess.Popen, timeout: float) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode} before opening its DevTools port")
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


def visit(path: Path, profile: Path, timeout: float = 30.0) -> PageVisit:
    """Load ``path`` via file:// in a fresh headless Chromium; collect errors and the charts."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    profile.mkdir(parents=True, exist_ok=True)
    log = (profile.parent / "chromium.log").open("w")
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"], stdout=log, stderr=log
    )
    try:
        port = _port(profile, proc, timeout)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
        )
        try:
            return _drive(ws, path.resolve().as_uri(), timeout)
        finally:
            ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _drive(ws: websocket.WebSocket, url: str, timeout: float) -> PageVisit:
    out = PageVisit()
    ids = iter(range(1, 1_000_000))
    replies: dict[int, dict] = {}
    loaded = False

    def send(method: str, **params) -> int:
        n = next(ids)
        ws.send(json.dumps({"id": n, "method": method, "params": params}))
        return n

    def pump(until: float, want: int | None = None) -> None:
        nonlocal loaded
        while time.monotonic() < until and (want is None or want not in replies):
            ws.settimeout(max(0.05, until - time.monotonic()))
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                return
            method, params = msg.get("method"), msg.get("params", {})
            if "id" in msg:
                replies[msg["id"]] = msg
            elif method == "Page.loadEventFired":
                loaded = True
            elif method == "Runtime.exceptionThrown":
                d = params["exceptionDetails"]
                out.errors.append(
                    "exception: " + d.get("exception", {}).get("description", d.get("text", ""))
                )
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.errors.append(
                    "console: " + " ".join(str(a.get("value", a)) for a in params.get("args", []))
                )
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.errors.append("log: " + params["entry"].get("text", ""))

    deadline = time.monotonic() + timeout
    for method in ("Page.enable", "Runtime.enable", "Log.enable"):
        pump(deadline, send(method))
    pump(deadline, send("Page.navigate", url=url))
    while not loaded and time.monotonic() < deadline:
        pump(min(deadline, time.monotonic() + 0.5))
    if not loaded:
        raise TimeoutError(f"{url} did not finish loading")
    pump(time.monotonic() + 0.5)  # late errors
    n = send("Runtime.evaluate", expression=CHARTS_JS, returnByValue=True)
    pump(deadline, n)
    page = json.loads(replies[n]["result"]["result"]["value"])
    out.ids, out.charts, out.title = page["ids"], page["charts"], page["title"]
    return out
