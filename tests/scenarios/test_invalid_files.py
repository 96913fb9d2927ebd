"""A wrong scenario file is refused before anything runs: file, line, column, what was expected, exit 2.

Each case is what a person would actually mistype; the test reads what `provsim scenario run`
prints on stderr, as they would.
"""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from jsonschema import Draft202012Validator

from simulator.cli import cli as provsim
from simulator.scenario.schema import schema


def _story(tmp_path, text: str, name: str = "story.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _refused(cli, path, *extra):
    result = cli.invoke(provsim, ["scenario", "run", str(path), "--no-progress", *extra])
    assert result.exit_code == 2, result.output
    assert "provsim scenario:" not in result.stdout  # nothing ran: no report
    return result.stderr


# (case, file text, every expected "line:col: message" fragment, is the schema alone enough to refuse it?)
CASES = [
    ("unknown verb", """
        steps:
          - configure: {}
          - advanse: PT40M
     """, ["3:5: step 2: unknown verb 'advanse' (did you mean 'advance'?); the verbs: say, genesys_token, configure"], True),
    ("unknown arguments", """
        steps:
          - configure: {scop: all, notfy: ops@contoso.com, delete_treshold: 1}
     """, ["2:17: step 1 (configure): unknown argument 'scop' (did you mean 'scope'?); configure takes: scope, notify,",
           "2:28: step 1 (configure): unknown argument 'notfy' (did you mean 'notify'?)",
           "2:52: step 1 (configure): unknown argument 'delete_treshold' (did you mean 'delete_threshold'?)"], True),
    ("unknown top-level key", """
        nmae: my-story
        steps: [{say: hi}]
     """, ["1:1: unknown key 'nmae' (did you mean 'name'?); a scenario has: name, description, tenant, seed, steps"], True),
    ("misspelt expectation key", """
        steps:
          - configure: {}
          - expect:
              genesys_usr: {userName: alex.wilber@contoso.com}
              job: {cod: Active}
     """, ["4:7: step 2 (expect): unknown expectation 'genesys_usr' (did you mean 'genesys_user'?)",
           "5:13: step 2 (expect) job: 'cod' is not a path in the job's synchronizationStatus"], True),
    ("wrong types", """
        seed: "7"
        steps:
          - configure: {delete_threshold: five, skip_out_of_scope_deletions: "yes please"}
          - advance: 40 minutes
          - expect: {logs: {action: created, count: -1}}
     """, ["1:7: seed: expected whole number >= 0, got text ('7')",
           "3:35: step 1 (configure) delete_threshold: expected whole number >= 1, got text ('five')",
           "3:70: step 1 (configure) skip_out_of_scope_deletions: expected true/false, got text ('yes please')",
           "4:14: step 2 (advance): '40 minutes' is not an ISO-8601 duration such as PT40M",
           "5:29: step 3 (expect) logs.action: 'created' is not one of: create, update, delete, disable, stagedDelete, other (did you mean 'create'?)",
           "5:45: step 3 (expect) logs.count: -1 is out of range: must be at least 0"], True),
    ("a step that is not one verb", """
        steps:
          - start
          - title: only a title
          - graph: {path: /users}
            advance: PT40M
     """, ["2:5: step 1: a step is a mapping of one verb to its arguments (like `start: {}`), got text ('start')",
           "3:5: step 2: no verb (only a title)",
           "4:5: step 3: 2 verbs (graph, advance); a step does one thing: split it into one step per verb"], True),
    ("a comma in a flow mapping", """
        steps:
          - configure: {}
          - restart: {resetScope: Watermark, Escrows}
     """, ["3:38: step 2 (restart): unknown argument 'Escrows'; restart takes: resetScope (inside {...} a comma ends the value"],
     True),
    ("unresolved references", """
        steps:
          - graph: {method: PATCH, path: "/users/${user:nobody}", body: {jobTitle: x}}
          - graph: {path: "/groups/${group:alex}/members"}
          - graph: {path: "/users/${upn:alexx}"}
          - graph: {path: "/servicePrincipals/${sp:genesys}"}
          - say: "${person:alex}"
     """, ["2:42: step 1 (graph): ${user:nobody}: the tenant contoso has no user with key 'nobody'",
           "3:28: step 2 (graph): ${group:alex}: the tenant contoso has no group with key 'alex' ('alex' is a user: write ${user:alex})",
           "4:27: step 3 (graph): ${upn:alexx}: the tenant contoso has no user with key 'alexx' (did you mean 'alex'?)",
           "5:39: step 4 (graph): ${sp:genesys}: the tenant contoso has no application with key 'genesys'",
           "6:11: step 5 (say): ${person:alex}: unknown reference kind 'person'; use user, upn, group, sp, genesys_user or genesys_group"], False),
    ("a name used before a step saves it", """
        steps:
          - graph: {method: POST, path: "/groups/${group:support}/members/$ref",
                    body: {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/${new_user}"}}
          - graph: {method: POST, path: /users, save: new_user, body: {displayName: Kai}}
          - graph: {path: "/users/${new_usr}"}
     """, ["3:84: step 1 (graph): ${new_user} is used before it is set: step 2 saves it",
           "5:27: step 3 (graph): ${new_usr} is not set: no earlier step saves it"], False),
    ("a step that needs the job before configure", """
        steps:
          - start: {}
          - configure: {}
     """, ["2:5: step 1 (start): there is no provisioning job yet (the provisioning job is needed): add a 'configure' step before it"],
     False),
    ("no such tenant", """
        tenant: nosuch
        steps: [{advance: PT40M}]
     """, ["1:9: tenant: no tenant fixture 'nosuch'; known: blank, contoso"], False),
    ("duplicate key", """
        steps:
          - graph: {path: /users}
            graph: {path: /groups}
     """, ["3:5: duplicate key 'graph': a mapping takes each key once (YAML would keep only the last)"], False),
    ("YAML syntax error", """
        steps:
          - configure: {scope: all
          - start: {}
     """, ["3:10: YAML syntax error: while parsing a flow mapping: expected ',' or '}', but got ':' (it began at line 2, column 16)"],
     None),
]


@pytest.mark.parametrize("case, text, expected, schema_alone", CASES, ids=[c[0] for c in CASES])
def test_an_invalid_file_is_refused_with_file_line_column_and_reason(cli, tmp_path, case, text, expected, schema_alone):
    path = _story(tmp_path, text)
    stderr = _refused(cli, path)
    assert "invalid scenario file, nothing ran" in stderr
    for fragment in expected:
        assert f"{path}:{fragment}" in stderr, f"{case}: {fragment!r} not in:\n{stderr}"
    assert stderr.count(f"{path}:") == len(expected), stderr  # every problem once, nothing extra
    if schema_alone is not None:  # the shipped schema is the format: a plain JSON Schema validator agrees
        data = yaml.safe_load(path.read_text())
        assert Draft202012Validator(schema()).is_valid(data) is not schema_alone


def test_invalid_file_as_json_and_junit_for_ci(cli, tmp_path):
    path = _story(tmp_path, """
        steps:
          - configure: {scop: all}
    """)
    junit = tmp_path / "junit.xml"
    result = cli.invoke(provsim, ["scenario", "run", str(path), "--json", "--junit", str(junit)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)["error"]  # one error shape for every --json command (issue 25)
    assert data["code"] == "invalid_scenario" and data["scenario"] == str(path)
    assert data["problems"] == [{"file": str(path), "line": 2, "column": 17, "message":
                                 "step 1 (configure): unknown argument 'scop' (did you mean 'scope'?); configure takes: scope, "
                                 "notify, delete_threshold, tenant_url, secret_token, skip_out_of_scope_deletions, template, "
                                 "test_connection"}]
    from junitparser import Error, JUnitXml

    suite = next(iter(JUnitXml.fromfile(str(junit))))
    (case,) = list(suite)
    assert suite.errors == 1 and case.name == "scenario file"
    assert isinstance(case.result[0], Error) and f"{path}:2:17:" in case.result[0].message


def test_no_such_scenario_exits_2_and_names_the_known_ones(cli):
    result = cli.invoke(provsim, ["scenario", "run", "no-such-story"])
    assert result.exit_code == 2
    assert "no scenario 'no-such-story'; known: app-role-change, attribute-sync, delete-off, deletion-guard, demo," in result.stderr
    assert result.stderr.rstrip().endswith("user-disabled (or a path to a .yaml file)")


def test_a_relative_tenant_path_is_read_beside_the_scenario(cli, tmp_path, tenant_beside):
    path = _story(tmp_path, """
        tenant: tenants/mine.yaml
        steps:
          - say: "${user:alex}"
    """)
    stderr = _refused(cli, path)
    # the reference is checked against the fixture beside the story, not a shipped one
    assert "${user:alex}: the tenant tenants/mine.yaml has no user with key 'alex' (did you mean 'alexw'?)" in stderr


def test_a_mangled_file_never_crashes_the_check(tmp_path):
    """Typos anywhere in a real story (seeded, 120 of them) give problems with positions, never a traceback."""
    import random

    from simulator.core import FIXTURES_DIR
    from simulator.scenario.errors import ScenarioInvalid
    from simulator.scenario.validate import check_text

    text = (FIXTURES_DIR / "scenarios" / "demo.yaml").read_text()
    lines = text.count("\n") + 2
    pieces = [":", "{", "}", "[", "]", "- ", " ", "\n", "${", "${user:", "x", "1", "null", "true", "'", '"', "title", "expect"]
    rnd = random.Random(13)
    refused = 0
    for _ in range(120):
        chars = list(text)
        for _ in range(rnd.randint(1, 4)):
            at = rnd.randrange(len(chars))
            if rnd.random() < 0.5:
                del chars[at:at + rnd.randint(1, 6)]
            else:
                chars.insert(at, rnd.choice(pieces))
        try:
            check_text("".join(chars), tmp_path / "mangled.yaml")
        except ScenarioInvalid as err:
            refused += 1
            assert err.problems and all(1 <= p.line <= lines and p.column >= 1 and p.message for p in err.problems)
    assert refused > 60
