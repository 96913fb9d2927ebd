"""Issue 25, observation 3: a CLI that machines can rely on.

With ``--json`` every error is one JSON document on stdout, ``{"error": {"code", "message"}}``, and
the exit status is the one the text mode gives; a destructive command never prompts under ``--json``
(it asks for ``--yes``); "Address already in use" names the port and ``--port 0``; Ctrl-C exits 130.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest

from simulator.cli import cli as provsim

ROOT = Path(__file__).resolve().parents[2]
BAD_STORY = "name: bad\ntenant: contoso\nsteps:\n  - configure: {scop: all}\n"


@pytest.fixture
def busy_port():
    """A port something is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def bad_story(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_STORY)
    return str(path)


#: (case, command line, exit status, error code, words the message must hold)
CASES = [
    ("unknown story", ["scenario", "run", "no-such-story"], 2, "unknown_scenario", ["no scenario 'no-such-story'"]),
    ("unknown story, --json first", ["--json", "scenario", "run", "no-such-story"], 2, "unknown_scenario", ["known: "]),
    ("bad scenario file", ["scenario", "run", "{bad_story}"], 2, "invalid_scenario", ["unknown argument 'scop'"]),
    ("no server", ["job", "status", "--url", "http://127.0.0.1:9"], 3, "server_unreachable", ["provsim serve"]),
    ("missing cassette", ["cassette", "check", "/nonexistent/golden.yaml"], 3, "cassette_not_found", ["golden.yaml"]),
    ("missing cassette to diff", ["cassette", "diff", "/nonexistent/a.yaml", "/nonexistent/b.yaml"], 3,
     "cassette_not_found", ["a.yaml"]),
    ("port in use (serve)", ["serve", "--port", "{busy_port}"], 1, "port_in_use", ["port {busy_port}", "--port 0"]),
    ("port in use (proxy)", ["proxy", "--mode", "passthrough", "--upstream", "http://127.0.0.1:9", "--port", "{busy_port}"],
     1, "port_in_use", ["port {busy_port}", "--port 0"]),
    ("bad option", ["demo", "--bogus"], 2, "no_such_option", ["--bogus", "demo --help"]),
    ("bad option of a group", ["scenario", "--bogus"], 2, "no_such_option", ["--bogus"]),
    ("unknown command", ["nosuch"], 2, "usage_error", ["nosuch"]),
    ("bad option value", ["job", "advance", "banana", "--in-process"], 2, "bad_parameter", ["ISO-8601 duration"]),
    ("missing argument", ["cassette", "diff", "only-one.yaml"], 2, "missing_parameter", ["B"]),
    ("bad target URL", ["scenario", "run", "demo", "--target", "ftp://nowhere"], 2, "bad_parameter", ["http(s) URL"]),
    ("unknown tenant", ["serve", "--fixture", "nosuch", "--port", "0"], 1, "bad_configuration", ["no tenant fixture 'nosuch'"]),
    ("no job yet", ["job", "status", "--in-process"], 1, "refused", ["no provisioning job"]),
]


@pytest.mark.parametrize("case, args, status, code, words", CASES, ids=[c[0] for c in CASES])
def test_every_error_is_json_on_stdout_with_the_same_exit_status(cli, case, args, status, code, words, request):
    values = {name: request.getfixturevalue(name) for name in ("busy_port", "bad_story")
              if any("{" + name + "}" in a for a in args)}
    args = [a.format(**values) for a in args]
    words = [w.format(**values) for w in words]

    text = cli.invoke(provsim, [a for a in args if a != "--json"], input="")  # no terminal, nothing to read: a prompt would abort
    assert text.exit_code == status, text.output
    assert "Traceback" not in text.output and text.stdout.strip() == "", text.stdout  # text mode: stderr only

    as_json = cli.invoke(provsim, args if "--json" in args else [*args, "--json"], input="")
    assert as_json.exit_code == status, as_json.output
    data = json.loads(as_json.stdout)  # the whole of stdout is one JSON document
    assert list(data) == ["error"] and data["error"]["code"] == code, data
    for word in words:
        assert word in data["error"]["message"], (word, data)
    assert "Traceback" not in as_json.output


def test_an_invalid_file_lists_its_problems_in_the_error(cli, bad_story):
    data = json.loads(cli.invoke(provsim, ["scenario", "run", bad_story, "--json"]).stdout)["error"]
    assert data["scenario"] == bad_story
    assert data["problems"][0]["line"] == 4 and "did you mean 'scope'" in data["problems"][0]["message"]


def test_job_delete_never_prompts_under_json_and_deletes_with_yes(cli, tmp_path):
    state = str(tmp_path / "state.json")
    job = ["--in-process", "--state", state]
    job_id = json.loads(cli.invoke(provsim, ["job", "create", *job, "--json"]).stdout)["jobId"]
    refused = cli.invoke(provsim, ["job", "delete", *job, "--json"], input="y\n")  # a "y" waiting is not read
    assert refused.exit_code == 1 and "Delete provisioning job" not in refused.output
    assert json.loads(refused.stdout)["error"]["message"] == (
        f"job delete would delete provisioning job {job_id}: pass --yes to confirm (with --json provsim never prompts)")
    assert json.loads(cli.invoke(provsim, ["job", "list", *job, "--json"]).stdout)[0]["id"] == job_id  # still there
    deleted = cli.invoke(provsim, ["job", "delete", *job, "--yes", "--json"])
    assert deleted.exit_code == 0 and json.loads(deleted.stdout) == {"jobId": job_id, "deleted": True}
    # without --json a person is still asked
    cli.invoke(provsim, ["job", "create", *job])
    assert "Aborted!" in cli.invoke(provsim, ["job", "delete", *job], input="n\n").output


def test_a_failed_story_keeps_its_report_as_the_one_json_document(cli, tmp_path):
    """A failure the result shows (a report with ok false) is not a second document on stdout."""
    path = tmp_path / "fails.yaml"
    path.write_text("name: fails\ntenant: contoso\nsteps:\n  - configure: {}\n  - expect:\n      job: {code: Quarantine}\n")
    result = cli.invoke(provsim, ["scenario", "run", str(path), "--json", "--no-progress"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["ok"] is False
    assert "1 step(s) failed" in result.stderr


def test_port_in_use_in_text_names_the_port_and_port_0(cli, busy_port):
    result = cli.invoke(provsim, ["serve", "--port", str(busy_port)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: port {busy_port} on 127.0.0.1 is already in use (another provsim serve or "
                                     "proxy?): pass another --port, or --port 0 for any free port")


def _started(process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the command shows progress on stderr (it is working, not starting up)."""
    os.set_blocking(process.stderr.fileno(), False)
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = process.stderr.read() or b""
        seen += chunk
        if b"[" in seen and b"/" in seen:
            return
        assert process.poll() is None, seen
        time.sleep(0.05)
    raise AssertionError(f"no progress within {timeout}s: {seen!r}")


@pytest.mark.slow  # loads the 10,000-user tenant in a subprocess
@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_exits_130(as_json):
    """A real SIGINT to a long story (the 10,000-user tenant) while it runs."""
    args = [sys.executable, "-m", "simulator.cli", "scenario", "run", "large-tenant-10k", "--progress"]
    process = subprocess.Popen(args + (["--json"] if as_json else []), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        _started(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, (out, err)
    assert b"Traceback" not in err
    if b"as the command finished" in err:  # the interrupt was swallowed (a finalizer) and the story ran on:
        return                              # its report stands (test_a_ctrl_c_something_swallowed_still_exits_130)
    if as_json:
        assert json.loads(out) == {"error": {"code": "interrupted", "message": "interrupted (Ctrl-C): stopped where it was"}}
    else:
        assert b"interrupted (Ctrl-C)" in err and out == b""


def _swallowing_group():
    from simulator.cli import LazyGroup

    group = LazyGroup("t")

    @group.command("work")
    @click.option("--json", "as_json", is_flag=True)
    def work(as_json):
        try:  # Ctrl-C lands in code that swallows it, as a finalizer the garbage collector runs does
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
        click.echo("finished")

    return group


@pytest.mark.parametrize("as_json", [False, True])
def test_a_ctrl_c_something_swallowed_still_exits_130(capfd, as_json):
    """A Ctrl-C is never lost: when something swallowed the KeyboardInterrupt and the command ran to its
    end, the shell still hears 130 and the user reads why on stderr."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("only the main thread sets a SIGINT handler")
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as exited:
        _swallowing_group().main(["work"] + (["--json"] if as_json else []), prog_name="t")
    assert exited.value.code == 130
    out, err = capfd.readouterr()
    assert out == "finished\n"  # what the command printed stands alone (one document on stdout with --json)
    assert "interrupted (Ctrl-C) as the command finished" in err
    assert signal.getsignal(signal.SIGINT) is before  # the handler is the command's only


def test_a_command_not_interrupted_exits_0_and_leaves_sigint_alone(capfd):
    from simulator.cli import LazyGroup

    group = LazyGroup("t")
    group.command("idle")(lambda: click.echo("idle"))
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as exited:
        group.main(["idle"], prog_name="t")
    assert exited.value.code == 0 and capfd.readouterr().out == "idle\n"
    assert signal.getsignal(signal.SIGINT) is before
