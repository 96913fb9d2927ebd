"""Mappings that use Now(), Guid() and RandomString() in real cycles: the virtual clock and the seeded
id stream make them deterministic, and SelectUniqueValue is refused for PureCloud by Genesys."""

from __future__ import annotations

from simulator import create_app
from simulator.core import ProvsimConfig

from engine_helpers import Provisioning

EMPLOYEE_NUMBER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
DIVISION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division"


def _map(prov: Provisioning, target: str, expression: str, flow_type: str = "Always") -> None:
    def edit(users: dict, _groups: dict) -> None:
        users["attributeMappings"].append({"source": {"expression": expression}, "targetAttributeName": target,
                                           "flowType": flow_type, "flowBehavior": "FlowWhenChanged",
                                           "matchingPriority": 0, "defaultValue": None, "exportMissingReferences": False})
    prov.edit_schema(edit)


def _created(prov: Provisioning, path: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for call in prov.writes():
        if call.method == "POST" and call.path.lower() == "/users":
            out[call.body["userName"]] = (call.body.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                                          or {}).get(path.rsplit(":", 1)[-1])
    return out


def _run(seed: int) -> dict[str, object]:
    prov = Provisioning(create_app(ProvsimConfig(seed=seed, fixture="contoso")))
    prov.configure()
    _map(prov, EMPLOYEE_NUMBER, "Guid()", "ObjectAddOnly")
    prov.start()
    prov.advance("PT1M")
    created = _created(prov, EMPLOYEE_NUMBER)
    prov.http.close()
    return created


def test_guid_mapping_is_the_same_for_the_same_seed_and_new_for_every_user() -> None:
    first, again, other = _run(0), _run(0), _run(1)
    assert first and first == again
    assert len(set(first.values())) == len(first)  # a new GUID per user
    assert set(first.values()).isdisjoint(other.values())


def test_now_reads_the_virtual_clock(prov: Provisioning) -> None:
    prov.sim.advance("P3D")  # virtual time: 2026-01-08 09:00 UTC
    prov.configure()
    _map(prov, DIVISION, 'Join(" ", "Provisioned", Now())')
    prov.start()
    prov.advance("PT1M")
    divisions = {call.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["division"]
                 for call in prov.writes() if call.method == "POST" and call.path.lower() == "/users"}
    # One cycle, one moment per request: the clock moves with each SCIM call's virtual latency.
    assert divisions and all(d.startswith("Provisioned 1/8/2026 9:0") and d.endswith(" AM") for d in divisions)


def test_select_unique_value_is_refused_for_purecloud(prov: Provisioning) -> None:
    prov.configure()
    schema = prov.schema()
    users = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")
    users["attributeMappings"].append({"source": {"expression": 'SelectUniqueValue([mail], [userPrincipalName])'},
                                       "targetAttributeName": "title", "flowType": "ObjectAddOnly",
                                       "matchingPriority": 0})
    resp = prov.put_schema(schema, expect=400)
    message = resp.json()["error"]["message"]
    assert "Attribute mapping to 'title' in object mapping 'Provision Azure Active Directory Users'" in message
    assert "SelectUniqueValue isn't supported for use with PureCloud by Genesys" in message
    assert "at position 0" in message
