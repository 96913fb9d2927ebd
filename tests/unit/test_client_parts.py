"""ProvsimClient is a front door over one part per surface (issue 26): ``client.graph``, ``client.genesys``,
``client.jobs``, ``client.control``; the flat names of before keep working for one release."""

from __future__ import annotations

import warnings

import pytest

from simulator import ProvsimClient, ProvsimConfig, create_app
from simulator.client import DEPRECATED_NAMES, ControlApi, GenesysApi, GraphApi, JobsApi

PARTS = {"graph": GraphApi, "genesys": GenesysApi, "jobs": JobsApi, "control": ControlApi}


def _public_methods(cls: type) -> list[str]:
    return [n for n, v in vars(cls).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))]


@pytest.mark.parametrize("cls", [ProvsimClient, *PARTS.values()], ids=lambda c: c.__name__)
def test_no_class_of_the_client_has_more_than_35_public_methods(cls):
    assert len(_public_methods(cls)) <= 35, _public_methods(cls)


@pytest.fixture()
def client():
    with ProvsimClient.in_process(create_app(ProvsimConfig(seed=1))) as c:
        yield c


def test_every_deprecated_name_is_the_method_of_its_part(client):
    for old, (part, new) in DEPRECATED_NAMES.items():
        assert old not in vars(ProvsimClient), f"{old} is still a method of the front door"
        assert getattr(client, old) == getattr(getattr(client, part), new), old
        assert new in vars(PARTS[part]), f"{part}.{new}"


def test_the_old_calls_and_the_parts_give_the_same_answers_without_a_warning(client):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        job_id = client.configure(start=True)  # deprecated flat name
        assert client.jobs.id_of(None) == job_id == client.job_id(None)
        assert client.jobs() == client.jobs.__call__() and [j["id"] for j in client.jobs()] == [job_id]
        client.control.advance("PT40M")
        assert client.status(job_id)["status"]["code"] == client.jobs.get(job_id)["status"]["code"] == "Active"
        assert client.graph("GET", "/users", params={"$top": "1"})["value"]  # a part is still the old call
        assert client.graph_pages("/users") == client.graph.pages("/users")
        assert client.genesys("GET", "/Users", params={"count": "1"})["totalResults"] >= 1
        assert client.now() == client.control.now() == client.control("GET", "/clock")["now"]


def test_an_unknown_name_is_still_an_attribute_error(client):
    with pytest.raises(AttributeError, match="nope"):
        client.nope  # noqa: B018


def test_clients_on_a_socket_share_one_tls_context_that_still_verifies(monkeypatch, tmp_path):
    """httpx loads the CA bundle for every client (~25 ms); provsim's share one context, which
    verifies certificates and host names, and a changed SSL_CERT_FILE gets a context of its own."""
    import ssl

    import certifi

    first, second = ProvsimClient.connect("http://127.0.0.1:1"), ProvsimClient.connect("https://127.0.0.1:2")
    try:
        contexts = [c.http._transport._pool._ssl_context for c in (first, second)]
    finally:
        first.close()
        second.close()
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode is ssl.CERT_REQUIRED and contexts[0].check_hostname
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(open(certifi.where(), "rb").read())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with ProvsimClient.connect("https://127.0.0.1:3") as third:
        assert third.http._transport._pool._ssl_context is not contexts[0]
