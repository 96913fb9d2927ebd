"""SDK modules imported when a test first uses them, not when pytest collects the file.

``PureCloudPlatformClientV2`` is ~6,600 modules: importing it at collection cost every pytest
process (each xdist worker collects every file) seconds, and every pydantic model built later in that
process more (pydantic looks its class's module up in a ``sys.modules`` that long), whether or not
the SDK's tests were selected.  ``lazy("PureCloudPlatformClientV2")`` stands for the module: the
first attribute read imports it, or skips the test when it is not installed (as the module-level
``pytest.importorskip`` did for the whole file).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest


class LazyModule:
    """``module.attr`` imports ``module`` on first use (``pytest.importorskip``); names starting with
    ``_`` are not forwarded, so pytest's collection (which probes ``_pytestfixturefunction`` and the
    like on a test module's globals) never triggers the import."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        if self._module is None:
            self._module = pytest.importorskip(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{' (imported)' if self._module is not None else ''}>"


def lazy(name: str) -> Any:
    """A stand-in for the module ``name``, imported on first attribute read."""
    return LazyModule(name)
