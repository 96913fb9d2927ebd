"""Fixtures for failure stories (helpers in failure_story.py)."""

from __future__ import annotations

import pytest

from failure_story import Story


@pytest.fixture
def story():
    return Story()


@pytest.fixture
def started(story):
    """The demo tenant, configured and through its initial cycle (09:00 virtual)."""
    story.configure(scope="assigned", notify="identity-team@contoso.com")
    story.start()
    ran = story.advance("PT1M")
    assert len(ran) == 1 and story.status()["code"] == "Active"
    return story

