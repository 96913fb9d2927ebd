"""Helpers of tests/tls: ``provsim serve --tls`` as a user starts it (the real command, in its own process), and the
client programs run in their own processes with only the CA trusted (issue 22, observation 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
#: The console script (``python -m simulator.cli --json serve`` would load a second copy of the CLI module).
PROVSIM = str(Path(sys.executable).parent / "provsim")


@dataclass
class Served:
    url: str          # https://localhost:PORT (the name the certificate carries)
    ca: Path
    info: dict
    banner: str
    process: subprocess.Popen


def user_env(**extra: str) -> dict:
    """A shell's environment without any CA setting of this machine, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")}
    env.update(extra)
    return env


def start_serve(*args: str, env: dict | None = None, cwd: Path | None = None) -> Served:
    """``provsim --json serve --port 0 ARGS``; waits for its JSON banner (its stderr goes to a file)."""
    err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - read back when the server dies early
    process = subprocess.Popen([PROVSIM, "--json", "serve", "--port", "0", *args],
                               cwd=cwd or REPO, env=env or user_env(), stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        info, text = read_json(process)
    except AssertionError as failure:
        err.seek(0)
        raise AssertionError(f"{failure}: {err.read()}") from None
    port = info["base_url"].rsplit(":", 1)[1]
    return Served(f"https://localhost:{port}", Path(info["tls"]["ca"]) if info.get("tls") else None, info, text, process)


def read_json(process: subprocess.Popen) -> tuple[dict, str]:
    """The first JSON document a command prints (``--json`` banners span several lines), and the text."""
    text, deadline = "", time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"{process.args[:3]} exited early ({process.wait()})")
        text += line
        try:
            return json.loads(text), text
        except ValueError:
            continue
    raise AssertionError(f"no JSON from {process.args[:3]} within 60 s: {text}")


def stop(served: Served) -> None:
    served.process.send_signal(signal.SIGINT)
    try:
        served.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        served.process.kill()
        raise


def run_program(*args: str, env: dict, timeout: float = 180) -> dict:
    """A client program's one JSON line."""
    done = subprocess.run([*args], env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"{args} printed no JSON (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1])
