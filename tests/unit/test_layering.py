"""The declared layering holds (docs/architecture.md, "Layers"): one table names every package under
``simulator/`` and what each may import of provsim; core and engine never load Flask.

The table is checked two ways: statically, over every ``import`` in the package (lazy imports inside
functions included; imports under ``if TYPE_CHECKING:`` load nothing and are not counted), and for
Flask in a fresh interpreter, because this test process has Flask loaded already.
"""

from __future__ import annotations

import ast
import functools
import graphlib
import json
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"
ARCHITECTURE = SIMULATOR.parent / "docs" / "architecture.md"

#: unit -> the provsim units it may import (besides itself), lowest layer first.  A unit is a package
#: under simulator/ or a module directly under it ("simulator" is simulator/__init__.py).  A package's
#: own ``cli.py`` is a command: it belongs to the ``cli`` unit wherever it lives (commands live beside
#: what they drive), so ``simulator/graph/cli.py`` is checked as ``cli``.
LAYERS: dict[str, frozenset[str]] = {
    # the kernel: clock, ids, store, faults, traffic, config and runtime
    "core": frozenset(),
    # SCIM 2.0 notation both ends of the wire share: the one attribute-path grammar, the URNs
    "scim": frozenset({"core"}),
    # the client side: ProvsimClient, logins, the in-process transport (Flask-free)
    "client": frozenset({"core"}),
    # the provisioning service (Flask-free); it reaches a target through the client's transport
    "engine": frozenset({"core", "client", "scim"}),
    # the Flask and WSGI glue: helpers every surface shares, middleware, server, TLS, OpenAPI
    "http": frozenset({"core"}),
    # the surfaces (Flask blueprints over services)
    "purecloud": frozenset({"core", "http", "scim"}),
    "graph": frozenset({"core", "http", "engine"}),
    "control": frozenset({"core", "http", "engine"}),
    # the recording proxy and its transports
    "proxy": frozenset({"core", "http"}),
    # YAML stories run over the real HTTP APIs, on an app they are given or one a builder they are given makes
    "scenario": frozenset({"core", "client", "engine", "graph", "proxy"}),
    # the dashboard
    "web": frozenset({"core", "client", "engine", "graph", "http", "scenario"}),
    # the composition root: the only place that knows every surface, so the one builder of a fresh
    # simulator (fresh_app) and the scenario runner on one (scenario_runner)
    "app": frozenset({"core", "client", "engine", "http", "purecloud", "graph", "control", "web", "scenario"}),
    # tools over a whole simulator: a story against another SCIM server (conformance), provisioning
    # logs turned into a story (incident), a real tenant read into a fixture (snapshot)
    "conformance": frozenset({"core", "engine", "scenario", "app"}),
    "incident": frozenset({"core", "engine", "graph", "scenario", "app"}),
    "snapshot": frozenset({"core", "client", "engine", "graph"}),
    "interception": frozenset({"core", "client", "app"}),
    "pytest_plugin": frozenset({"core", "client", "http", "app", "interception", "proxy"}),
    # the command line, and the package's public names
    "cli": frozenset({"core", "client", "engine", "http", "app", "graph", "proxy", "scenario", "conformance",
                      "snapshot", "incident"}),
    "simulator": frozenset({"core", "client", "app", "scenario", "interception"}),
}

#: Imports the table does not allow yet, each with the reason it stands; the test fails when one goes
#: (delete it here) and when a new one appears.
KNOWN: dict[tuple[str, str], str] = {}

#: Units that must not load Flask or werkzeug, even indirectly (checked in a fresh interpreter).
FLASK_FREE = ("simulator.core", "simulator.engine", "simulator.client", "simulator.scim")


def _unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "simulator":
        return ""
    if len(parts) == 1:
        return "simulator"
    if parts[-1] == "cli" and len(parts) == 3:
        return "cli"
    return parts[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SIMULATOR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _statements(tree: ast.AST) -> list[ast.stmt]:
    """Every statement of a module, nested bodies included, in ``ast.walk``'s order; an import or an
    ``if`` is a statement, so the expressions (most of the nodes) need no visit."""
    found: list[ast.stmt] = []
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        if isinstance(node, ast.stmt):
            found.append(node)
        for _field, value in ast.iter_fields(node):
            if isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, (ast.stmt, ast.excepthandler, ast.match_case)))
    return found


def _type_checking_lines(statements: list[ast.stmt]) -> set[int]:
    lines: set[int] = set()
    for node in statements:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@functools.cache  # one parse of the package serves the three tests that read it
def imports() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> the modules where it happens (``module:line``); read-only."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SIMULATOR.rglob("*.py")):
        module = _module_name(path)
        source = _unit(module)
        statements = _statements(ast.parse(path.read_text(encoding="utf-8")))
        type_only = _type_checking_lines(statements)
        for node in statements:
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = ([f"simulator.{alias.name}" for alias in node.names] if node.module == "simulator"
                           else [node.module])
            else:
                continue
            if node.lineno in type_only:
                continue
            for target in targets:
                unit = _unit(target)
                if unit and unit != source and not (source == "simulator" and target == "simulator"):
                    found.setdefault((source, unit), []).append(f"{module}:{node.lineno}")
    return found


def test_every_unit_under_simulator_is_in_the_table():
    units = {p.name for p in SIMULATOR.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    units |= {p.stem for p in SIMULATOR.glob("*.py") if p.stem != "__init__"} | {"simulator"}
    assert units == set(LAYERS), f"declare these in LAYERS: {sorted(units - set(LAYERS))}; " \
                                 f"gone: {sorted(set(LAYERS) - units)}"


def test_core_imports_nothing_of_provsim_above_it():
    offending = {pair: where for pair, where in imports().items() if pair[0] == "core"}
    assert not offending, offending


def test_every_import_between_units_is_declared():
    undeclared = {f"{a} -> {b}": where for (a, b), where in imports().items()
                  if b not in LAYERS[a] and (a, b) not in KNOWN}
    assert not undeclared, "imports the layer table does not allow:\n" + json.dumps(undeclared, indent=1)


def test_the_layers_form_no_cycle():
    """No unit reaches itself through the units it may import (the lazy app -> web -> scenario -> app
    cycle is gone: the scenario runner is handed an app or a builder; the composition root has both)."""
    graph = {unit: set(allowed) | {b for (a, b) in KNOWN if a == unit} for unit, allowed in LAYERS.items()}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as err:
        pytest.fail(f"the layer table has a cycle (A -> B: A imports B): {' -> '.join(reversed(err.args[1]))}")
    assert set(order) == set(LAYERS)


def test_known_exceptions_still_exist():
    found = imports()
    gone = [f"{a} -> {b}" for (a, b) in KNOWN if (a, b) not in found]
    assert not gone, f"no longer imported, delete from KNOWN: {gone}"


def test_the_surfaces_and_the_engine_import_no_command_line_nor_client_tool():
    """The fakes and the engine never reach up to the command line, the dashboard or the composition root."""
    for unit in ("core", "scim", "engine", "purecloud", "graph", "control", "http", "client"):
        assert not LAYERS[unit] & {"cli", "app", "web", "scenario", "interception", "pytest_plugin"}, unit
    assert not LAYERS["engine"] & {"graph", "purecloud", "web", "http"}
    assert not LAYERS["purecloud"] & {"client", "graph"} and not LAYERS["graph"] & {"client", "purecloud"}


def test_docs_architecture_layer_table_is_this_table():
    """The "Layers" section of docs/architecture.md shows LAYERS as a table (unit | may import), row for row."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("\n## Layers\n"):]
    section = section[:section.index("\n## ", 1)]
    rows = re.findall(r"^\| ([a-z_]+) \| ([a-z_, ]+) \|$", section, flags=re.M)
    documented = {unit: frozenset() if imports == "nothing" else frozenset(imports.split(", ")) for unit, imports in rows}
    assert len(rows) == len(documented), "a unit has two rows"
    assert documented == LAYERS, {unit: (sorted(documented.get(unit, ())), sorted(LAYERS.get(unit, ())))
                                  for unit in set(documented) | set(LAYERS) if documented.get(unit) != LAYERS.get(unit)}


def test_every_package_is_named_in_docs_architecture():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    packages = sorted(p.name for p in SIMULATOR.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    missing = [name for name in packages if f"simulator/{name}/" not in text]
    assert not missing, f"docs/architecture.md does not name: {missing}"


PROBE = """
import importlib, json, pkgutil, sys
import {package} as pkg
for info in pkgutil.walk_packages(pkg.__path__, "{package}."):
    importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug"))))
"""


@pytest.mark.parametrize("package", FLASK_FREE)
def test_package_imports_no_flask(package):
    out = subprocess.run([sys.executable, "-c", PROBE.format(package=package)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [], f"importing {package} loads Flask/werkzeug"


def test_engine_package_holds_no_command_line():
    import pkgutil

    import simulator.engine as engine

    assert "cli" not in {m.name for m in pkgutil.iter_modules(engine.__path__)}
