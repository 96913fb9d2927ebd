"""Issue 12, observation 6: every repository path the docs and the code's comments name exists,
and no tracked file is also git-ignored."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Top-level folders of the repository: a path in backticks that starts with one of them is a repository path.
TOP = ("simulator", "fixtures", "cassettes", "tests", "docs", "benchmarks", ".ci")
_TOP = "|".join(map(re.escape, TOP))
_PATH = re.compile(rf"`((?:{_TOP})/[^`\s*]*?|(?:Makefile|pyproject\.toml|README\.md)"
                   r"|(?:[\w.-]+/)+[\w.-]+\.(?:py|md|ya?ml|json|toml|txt|html|css|sh))(?::[\w.]+)?`")
_MODULE = re.compile(r"\bsimulator(?:\.[a-z_][a-z0-9_]*)+")
#: Paths the docs name that a run creates (not shipped in the repository).
CREATED = {"benchmarks/results/"}


def named_paths(text: str) -> list[str]:
    return sorted({m.group(1).rstrip(".,;:") for m in _PATH.finditer(text)} - CREATED)


def exists(path: str) -> bool:
    if any(ch in path for ch in "{}<>"):  # a pattern (cassettes/<module>/)
        return True
    return (REPO / path).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_path_a_doc_names_exists(doc):
    missing = [p for p in named_paths(doc.read_text(encoding="utf-8")) if not exists(p)]
    assert not missing, f"{doc.relative_to(REPO)} names files that are not in the repository: {missing}"


def _module_exists(dotted: str) -> bool:
    parts = dotted.split(".")
    if len(parts) == 2 and parts[1] in _public_names():  # simulator.intercept: a public name, not a module
        return True
    for n in range(len(parts), 1, -1):  # simulator.core.clock.VirtualClock: the module is the longest existing prefix
        base = REPO.joinpath(*parts[:n])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return True
    return False


def _public_names() -> set[str]:
    import simulator

    return set(simulator.__all__)


def test_modules_and_files_named_in_the_code_exist():
    missing = []
    for source in sorted((REPO / "simulator").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for path in named_paths(text):
            if not exists(path):
                missing.append(f"{source.relative_to(REPO)}: {path}")
        for dotted in sorted(set(_MODULE.findall(text))):
            if not _module_exists(dotted):
                missing.append(f"{source.relative_to(REPO)}: {dotted}")
    assert not missing, "\n".join(missing)


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs a git checkout")
def test_no_tracked_file_is_also_ignored():
    ignored = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    assert not ignored, f"tracked and git-ignored at once (track it or ignore it): {ignored}"
