"""`xtaccounts serve` in a subprocess, and the headless Chromium the browser tests drive."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The browser tests are skipped only when Chromium is not installed, and never under CI (where
# CI is set): there a missing Chromium fails them instead of hiding it.
CHROMIUM_MISSING = not CHROMIUM.exists() and not os.environ.get("CI")
CHROMIUM_REASON = (
    f"Chromium is not installed at {CHROMIUM} (apt: chromium; scripts/system-packages)"
)


def start_server(main: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`xtaccounts serve --port 0` in a subprocess; its base URL once it listens."""
    env = {k: v for k, v in os.environ.items() if k != "XT_LEDGER"}
    process = subprocess.Popen(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(main), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = process.stdout.readline() if process.stdout else ""
    found = re.search(r"(http://\S+)", line)
    if not found:
        process.kill()
        raise AssertionError(f"serve did not start: {line!r} {process.stderr.read()!r}")
    return process, found.group(1)


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server `start_server` started."""
    # SIGTERM, not SIGINT: a test run started in the background has SIGINT ignored, and so
    # has the server it starts.
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
