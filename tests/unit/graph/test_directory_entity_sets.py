"""Issue 26: the directory split by entity set, with the flat names of earlier releases still working."""

from __future__ import annotations

import pytest

from simulator import create_app
from simulator.graph.directory import LEGACY_NAMES, Directory, EntitySet
from simulator.graph.errors import BadRequest, ResourceNotFound

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
USER_ROLE = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"


@pytest.fixture
def directory() -> Directory:
    return create_app().extensions["provsim"].services["directory"]


def test_one_entity_set_per_collection(directory):
    parts = {name: getattr(directory, name) for name in ("users", "groups", "applications", "service_principals",
                                                         "assignments", "deleted_items")}
    assert all(isinstance(part, EntitySet) for part in parts.values())
    assert len(directory.users) == len(directory.users.table) > 20
    assert len(directory.service_principals) == 1 and directory.service_principals.get(SP)["appId"]


@pytest.mark.parametrize("old", sorted(LEGACY_NAMES))
def test_every_flat_name_of_earlier_releases_reaches_its_entity_set(directory, old):
    part, method = LEGACY_NAMES[old]
    assert getattr(directory, old) == getattr(getattr(directory, part), method)


def test_flat_and_entity_set_calls_do_the_same(directory):
    alex = directory.get_user("alex.wilber@contoso.com")
    assert alex == directory.users.get("alex.wilber@contoso.com") and alex["id"]
    created = directory.assign(SP, alex["id"], USER_ROLE)
    assert directory.assignments.get(created["id"]) == created
    assert created in directory.assignments_for_principal(alex["id"], SP)
    directory.unassign(created["id"])
    assert directory.assignments.get(created["id"]) is None
    directory.users.delete(alex["id"])
    assert directory.get_deleted(alex["id"])["kind"] == "user"
    kind, back = directory.deleted_items.restore(alex["id"])
    assert kind == "user" and back["userPrincipalName"] == "alex.wilber@contoso.com"


def test_unknown_names_and_ids_still_fail_as_before(directory):
    with pytest.raises(AttributeError):
        directory.create_widget  # noqa: B018 - the attribute access is the test
    with pytest.raises(BadRequest):
        directory.groups.require("not-a-guid")
    with pytest.raises(ResourceNotFound):
        directory.service_principals.require("00000000-0000-0000-0000-00000000dead")
