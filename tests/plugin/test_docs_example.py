"""docs/pytest-plugin.md's complete example, run as printed in a user's project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the documented suites run in pytest subprocesses (seconds each)

DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest-plugin.md"


def test_the_documented_example_passes_as_printed(pytester):
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"## A complete example.*?```python\n(.*?)```", text, re.S).group(1)
    pytester.makepyfile(test_provisioning=example)
    pytester.runpytest_subprocess("--provsim-record").assert_outcomes(passed=8)
    golden = pytester.path / "cassettes" / "test_provisioning" / "test_what_the_engine_sends_stays_the_same.yaml"
    assert golden.is_file()
    pytester.runpytest_subprocess().assert_outcomes(passed=8)


def test_the_documented_ini_file_pastes_cleanly(pytester):
    """Issue 25: the ini example used to carry an inline comment, which pytest keeps in the value (the tenant
    became 'contoso   # a shipped tenant ...' and every test failed).  Pasted as printed, it works."""
    text = DOC.read_text(encoding="utf-8")
    ini = re.search(r"## Tenant and seed.*?```ini\n(.*?)```", text, re.S).group(1)
    pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(test_ini="""
        def test_the_ini_values(provsim_config, provsim):
            assert provsim_config.seed == 0
            assert provsim.graph("GET", "/servicePrincipals")["value"]  # contoso: the PureCloud app is there
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
