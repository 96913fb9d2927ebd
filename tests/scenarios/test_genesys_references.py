"""``${genesys_user:USERNAME}`` and ``${genesys_group:NAME}``: the id Genesys holds when the step runs,
so a story's fault rule can name one user's requests (``provsim incident import`` writes them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.app import scenario_runner
from simulator.scenario import load_scenario
from simulator.scenario.errors import ScenarioInvalid

STORY = """\
name: one-users-requests
tenant: contoso
steps:
  - configure: {}
  - start: {}
  - advance: PT1M
  - fault: {method: PATCH, path: "/api/v2/scim/v2/Users/${genesys_user:alex.wilber@contoso.com}", status: 409}
  - graph: {method: PATCH, path: "/users/${user:alex}", body: {jobTitle: Account Director}}
  - graph: {method: PATCH, path: "/users/${user:lidia}", body: {jobTitle: Account Director}}
  - advance: PT40M
  - expect:
      logs:
        - {status: failure, user: Alex Wilber, error: Conflict, count: 1}
        - {status: success, action: update, user: Lidia Holloway, count: 2}
  - genesys: {method: GET, path: "/Groups/${genesys_group:sales}", expect_body: {displayName: Sales}}
"""


def test_a_fault_on_one_genesys_user(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(STORY, encoding="utf-8")
    result = scenario_runner(load_scenario(story)).run()
    assert result.ok, result.failures


def test_a_genesys_object_that_is_not_there_stops_the_story(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(STORY.replace("alex.wilber@contoso.com}", "nobody@contoso.com}"), encoding="utf-8")
    result = scenario_runner(load_scenario(story)).run()
    assert not result.ok
    assert "Genesys has no user with userName 'nobody@contoso.com' now" in result.failures[0]


def test_an_unknown_kind_names_the_genesys_kinds(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(STORY.replace("${genesys_group:sales}", "${genesys_grup:sales}"), encoding="utf-8")
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(story)
    assert "did you mean 'genesys_group'" in str(caught.value)
