"""Microsoft's Node libraries against ``provsim serve --tls`` with only NODE_EXTRA_CA_CERTS set:
``@azure/msal-node`` (it refuses any http:// authority) and ``@microsoft/microsoft-graph-client``
(tokens only on https URLs; PageIterator follows only https nextLinks), no middleware of ours.

The npm packages (tests/tls/node/package.json, exact versions, package-lock.json) are installed once
into a cache folder (``$PROVSIM_NODE_CACHE``, else ``~/.cache/provsim-tests/node``) keyed by the lock
file's hash. Skipped, with the reason, where node or npm is missing; an npm install that fails fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tls_helpers import HERE, run_program, user_env

pytestmark = [pytest.mark.slow, pytest.mark.clients]

NODE_DIR = HERE / "node"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip(f"needs node and npm on PATH (node: {node or 'missing'}, npm: {npm or 'missing'})")
    digest = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()[:16]
    root = Path(os.environ.get("PROVSIM_NODE_CACHE") or Path.home() / ".cache" / "provsim-tests" / "node") / digest
    stamp = root / ".installed"
    if not stamp.exists():
        root.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(NODE_DIR / name, root / name)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=root,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"npm ci in {root} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        stamp.write_text(digest)
    for name in ("graph_program.cjs",):
        shutil.copy(NODE_DIR / name, root / name)
    return root


def test_msal_node_and_the_graph_client_with_node_extra_ca_certs(node_modules, tls_server):
    out = run_program("node", node_modules / "graph_program.cjs", tls_server.url,
                      env=user_env(NODE_EXTRA_CA_CERTS=str(tls_server.ca)))
    assert out.get("tokenType") == "Bearer", out
    assert out["firstNextLink"].startswith(f"{tls_server.url}/v1.0/users?")        # absolute, https: PageIterator follows it
    assert "megan.bowen@contoso.com" in out["users"] and len(out["users"]) == len(set(out["users"])) >= 20
    assert out["created"]


def test_without_the_ca_msal_node_refuses_the_certificate(node_modules, tls_server):
    out = run_program("node", node_modules / "graph_program.cjs", tls_server.url, env=user_env())
    assert "error" in out and "tokenType" not in out
    assert "certificate" in out["error"].lower() or "endpoints_resolution_error" in out["error"], out
