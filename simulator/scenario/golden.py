"""Golden recordings of scenario stories: the report and the engine's SCIM traffic, re-recorded and checked.

For a story ``NAME`` the goldens in a folder (the library's: ``cassettes/scenarios``) are:

``NAME.yaml``
    Every request the provisioning engine sent to Genesys and its answer, as a vcrpy cassette
    (scrubbed: no token, no secret), exactly what ``provsim scenario run NAME --record-target``
    writes.  A difference is shown as ``provsim cassette diff`` shows it.
``NAME.report.txt``
    The text report (``provsim scenario run NAME``); a difference is shown as a unified diff.

The demo story (``make run``) keeps its cassette where it has been since the first release,
``cassettes/demo-target.yaml`` beside the folder (:data:`ELSEWHERE`), not a second copy.

A story whose traffic is longer than :data:`FULL_LIMIT` interactions (the 10,000-user tenant
sends about 28,900 requests, a 52 MB cassette) keeps instead:

``NAME.head.yaml``
    The first :data:`HEAD` interactions, as a cassette (checked with the cassette diff).
``NAME.summary.yaml``
    How many interactions there are, how many of each request pattern (method, path with ids as
    ``{id}``, status), and a SHA-256 digest of every interaction, whole and per block of
    :data:`BLOCK` (so a difference is located to a block even where the counts agree); and the
    report's digest, its first lines and its summary (the whole report runs to megabytes).

Nothing here reads a clock or a random source: two runs of a story, in two processes, write the
same bytes.  :func:`record` runs a story in this process (on a simulator the caller's builder makes); :func:`write` and :func:`compare` are the
two uses (``make goldens`` and the test suite, through ``provsim scenario golden``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import Scenario, load_scenario
from .runner import AppBuilder, ScenarioResult, ScenarioRunner, TargetTape

__all__ = ["GoldenRun", "record", "write", "compare", "golden_paths", "golden_path", "FULL_LIMIT", "HEAD", "BLOCK",
           "ELSEWHERE"]

#: a story's traffic up to this many interactions is kept whole
FULL_LIMIT = 5000
#: beyond it, the first HEAD interactions are kept as a cassette ...
HEAD = 60
#: ... and the digests cover blocks of this many interactions
BLOCK = 1000
#: the report's first lines kept in a summary
REPORT_HEAD = 40
#: goldens kept outside the folder, relative to it: the demo's cassette is cassettes/demo-target.yaml
ELSEWHERE = {"demo.yaml": Path("..") / "demo-target.yaml"}
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class GoldenRun:
    """One story's run, as its goldens: file name -> text."""

    name: str
    result: ScenarioResult
    files: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.result.ok


def record(scenario: Scenario | str | Path, *, build: AppBuilder, progress=None) -> GoldenRun:
    """Run the story in this process on a fresh simulator ``build`` makes (:func:`simulator.app.fresh_app`),
    recording the engine's traffic, and render its goldens."""
    from .report import render_text

    story = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tape = TargetTape()
    result = ScenarioRunner(story, build=build, record_target=tape, progress=progress).run()
    report = render_text(result)
    if len(tape.interactions) <= FULL_LIMIT:
        files = {f"{story.name}.report.txt": report, f"{story.name}.yaml": tape.text()}
    else:
        files = {f"{story.name}.head.yaml": tape.text(tape.interactions[:HEAD]),
                 f"{story.name}.summary.yaml": _summary(story.name, tape, report)}
    return GoldenRun(story.name, result, files)


def golden_path(folder: Path, file_name: str) -> Path:
    """Where the golden ``file_name`` (``NAME.yaml``, ``NAME.report.txt``, ...) lives for ``folder``."""
    return (folder / ELSEWHERE[file_name]) if file_name in ELSEWHERE else folder / file_name


def golden_paths(folder: Path, name: str) -> list[Path]:
    """The golden files of story ``name`` that exist for ``folder``."""
    suffixes = (".yaml", ".report.txt", ".head.yaml", ".summary.yaml")
    return [golden_path(folder, f"{name}{suffix}") for suffix in suffixes if golden_path(folder, f"{name}{suffix}").exists()]


def write(run: GoldenRun, folder: Path) -> list[Path]:
    """Write the run's goldens (and remove a stale file of the other form); returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = {golden_path(folder, file_name) for file_name in run.files}
    for stale in golden_paths(folder, run.name):
        if stale not in targets:
            stale.unlink()
    written = []
    for file_name, text in run.files.items():
        path = golden_path(folder, file_name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:  # an unchanged golden keeps its mtime
            path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def compare(run: GoldenRun, folder: Path) -> list[str]:
    """Every difference between the run and its goldens in ``folder``, each a readable block of text
    (empty: byte for byte the same)."""
    problems: list[str] = []
    produced = {golden_path(folder, file_name) for file_name in run.files}
    for path in golden_paths(folder, run.name):
        if path not in produced:
            problems.append(f"{path}: the story no longer produces this golden (its traffic changed size?)")
    for file_name, text in run.files.items():
        path = golden_path(folder, file_name)
        if not path.exists():
            problems.append(f"{path}: no golden yet: record it with `make goldens` "
                            f"(provsim scenario golden {run.name} --dir {folder})")
            continue
        golden = path.read_text(encoding="utf-8")
        if golden == text:
            continue
        if file_name.endswith(".report.txt"):
            problems.append(_text_diff(path, golden, text, "the report"))
        elif file_name.endswith(".summary.yaml"):
            problems.append(_summary_diff(path, golden, text))
        else:
            problems.append(_cassette_diff(path, golden, text))
    return problems


# ------------------------------------------------------------------------------ rendering differences
def _text_diff(path: Path, golden: str, text: str, what: str, limit: int = 80) -> str:
    lines = list(difflib.unified_diff(golden.splitlines(), text.splitlines(), str(path), "this run", lineterm="", n=2))
    shown = lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])
    return f"{what} differs from {path}:\n" + "\n".join(shown)


def _cassette_diff(path: Path, golden: str, text: str) -> str:
    """The difference as ``provsim cassette diff GOLDEN RECORDED`` prints it."""
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    from simulator.proxy.cassette import Interaction, load_interactions
    from simulator.proxy.diff import diff_interactions

    requests, responses = deserialize(text, yamlserializer)
    recorded = [Interaction(req, resp) for req, resp in zip(requests, responses, strict=True)]
    result = diff_interactions(load_interactions(path), recorded, name_a=str(path), name_b="this run")
    if result.equal:  # only what the cassette diff ignores (ids, meta timestamps and versions) differs
        return _text_diff(path, golden, text, "the engine's SCIM traffic (in fields `cassette diff` ignores)")
    return "the engine's SCIM traffic differs (provsim cassette diff):\n" + result.render()


def _summary(name: str, tape: TargetTape, report: str) -> str:
    patterns: Counter[str] = Counter()
    whole = hashlib.sha256()
    blocks: list[str] = []
    block = hashlib.sha256()
    for n, interaction in enumerate(tape.interactions, 1):
        uri = interaction.request.parsed_uri
        patterns[f"{interaction.request.method} {_ID.sub('{id}', uri.path)} -> {interaction.status}"] += 1
        canonical = _canonical(interaction)
        whole.update(canonical)
        block.update(canonical)
        if n % BLOCK == 0 or n == len(tape.interactions):
            blocks.append(f"{(n - 1) // BLOCK * BLOCK + 1}-{n} {block.hexdigest()}")
            block = hashlib.sha256()
    data = {
        "story": name,
        "note": (f"The engine's SCIM traffic is too long to keep whole: {name}.head.yaml holds the first {HEAD} "
                 f"interactions; this file counts every interaction by request pattern and digests them all "
                 f"(SHA-256 of each interaction's method, URI, request headers and body, status, response "
                 f"headers and body, in order), whole and per block of {BLOCK}."),
        "interactions": len(tape.interactions),
        "sha256": whole.hexdigest(),
        "requests": dict(sorted(patterns.items())),
        "blocks": blocks,
        "report": {"lines": report.count("\n"), "sha256": hashlib.sha256(report.encode()).hexdigest(),
                   "head": report.splitlines()[:REPORT_HEAD],
                   "summary": report[report.rfind("\nSummary\n") + 1:].splitlines()},
    }
    return yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)


def _canonical(interaction) -> bytes:
    request, response = interaction.request, interaction.response
    return json.dumps([request.method, request.uri, sorted(request.headers.items()), interaction.request_body.decode("utf-8", "replace"),
                       interaction.status, sorted((k, v) for k, v in response.get("headers", {}).items()),
                       interaction.response_body.decode("utf-8", "replace")], separators=(",", ":")).encode()


def _summary_diff(path: Path, golden: str, text: str) -> str:
    old, new = yaml.safe_load(golden) or {}, yaml.safe_load(text) or {}
    lines = [f"the engine's SCIM traffic differs from {path}:"]
    if old.get("interactions") != new.get("interactions"):
        lines.append(f"  interactions: {old.get('interactions')} -> {new.get('interactions')}")
    old_requests, new_requests = old.get("requests") or {}, new.get("requests") or {}
    for pattern in sorted(set(old_requests) | set(new_requests)):
        if old_requests.get(pattern) != new_requests.get(pattern):
            lines.append(f"  {pattern}: {old_requests.get(pattern, 0)} -> {new_requests.get(pattern, 0)}")
    old_blocks, new_blocks = old.get("blocks") or [], new.get("blocks") or []
    first = next((i for i, (a, b) in enumerate(zip(old_blocks, new_blocks, strict=False)) if a != b), None)
    if first is not None:
        lines.append(f"  first differing block: interactions {old_blocks[first].split()[0]}"
                     + (" (the counts by pattern agree: the bodies or the order changed)" if old_requests == new_requests else ""))
    old_report, new_report = old.get("report") or {}, new.get("report") or {}
    if old_report != new_report:
        lines.append("  the report differs" + (f" ({old_report.get('lines')} -> {new_report.get('lines')} lines)"
                                               if old_report.get("lines") != new_report.get("lines") else ""))
        for part in ("head", "summary"):
            if old_report.get(part) != new_report.get(part):
                diff = difflib.unified_diff(old_report.get(part) or [], new_report.get(part) or [], f"golden report {part}",
                                            f"this run's report {part}", lineterm="", n=1)
                lines.extend("    " + line for line in list(diff)[:40])
    if len(lines) == 1:
        lines.append("  " + _text_diff(path, golden, text, "the summary"))
    return "\n".join(lines)
