"""A rule whose parse was remembered from an earlier app routes and builds exactly as werkzeug's own.

``simulator.http.routing.LazyBuildRule`` parses each rule string once per process; every later app
reuses the parts.  Compared here, rule by rule over the whole simulator, with a map of plain
werkzeug rules: the same URL for the same values, the same endpoint and arguments back for it."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from simulator import create_app
from simulator.core import ProvsimConfig
from simulator.http.routing import LazyBuildRule


def _values(rule: Rule) -> dict[str, object]:
    """A value per argument its converter accepts (ints for int, a path with a slash for path)."""
    out: dict[str, object] = {}
    for name, conv in rule._converters.items():
        kind = type(conv).__name__
        out[name] = 7 if kind == "IntegerConverter" else "a b/c" if kind == "PathConverter" else f"{name}-1"
    return out


def _plain(rule: Rule) -> Rule:
    return Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods, defaults=rule.defaults,
                strict_slashes=rule.strict_slashes, merge_slashes=rule.merge_slashes,
                subdomain=rule.subdomain, host=rule.host, websocket=rule.websocket)


def test_every_rule_of_a_second_app_routes_and_builds_as_a_plain_werkzeug_rule() -> None:
    create_app(ProvsimConfig(seed=0, fixture="contoso"))  # the parses are remembered from this one
    app = create_app(ProvsimConfig(seed=0, fixture="contoso"))
    rules = list(app.url_map.iter_rules())
    # every rule but Flask's own /static one, added before the app's rule class is set
    assert {r.endpoint for r in rules if not isinstance(r, LazyBuildRule)} == {"static"}
    plain = Map([_plain(r) for r in rules], converters=dict(app.url_map.converters),
                strict_slashes=app.url_map.strict_slashes, merge_slashes=app.url_map.merge_slashes)
    ours, theirs = app.url_map.bind("localhost"), plain.bind("localhost")
    checked = 0
    for rule in rules:
        values = _values(rule)
        assert sorted(rule.arguments) == sorted(next(p for p in plain.iter_rules() if p.endpoint == rule.endpoint
                                                     and p.rule == rule.rule).arguments)
        method = sorted(rule.methods or {"GET"})[0]
        url = ours.build(rule.endpoint, values, method=method)
        assert url == theirs.build(rule.endpoint, values, method=method), rule.rule
        got, want = {}, {}
        for target, adapter in ((got, ours), (want, theirs)):
            try:
                target["match"] = adapter.match(url, method=method)
            except (NotFound, MethodNotAllowed) as exc:
                target["match"] = type(exc).__name__
        assert got == want, url
        checked += 1
    assert checked == len(rules) > 200


def test_a_remembered_rule_still_gets_converters_of_its_own_map() -> None:
    first = Map([LazyBuildRule("/Users/<int:n>", endpoint="u")])
    second = Map([LazyBuildRule("/Users/<int:n>", endpoint="u")])
    conv_a, conv_b = next(first.iter_rules())._converters["n"], next(second.iter_rules())._converters["n"]
    assert conv_a is not conv_b and conv_b.map is second
    assert second.bind("h").match("/Users/12") == ("u", {"n": 12})
    with pytest.raises(NotFound):
        second.bind("h").match("/Users/twelve")


def test_a_malformed_rule_fails_every_time_and_is_never_remembered() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="malformed"):
            Map([LazyBuildRule("/Users/<int:n", endpoint="u")])
