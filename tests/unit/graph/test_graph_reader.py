"""DirectoryReader over the Directory service: full sync, change sets, assignment scope."""

from __future__ import annotations

import pytest

from simulator import create_app
from simulator.graph import DirectoryReader, Removed, StoreDirectoryReader
from simulator.graph.reader import InvalidWatermark, decode_watermark, encode_watermark

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
USER_ROLE = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"


@pytest.fixture
def directory():
    return create_app().extensions["provsim"].services["directory"]


@pytest.fixture
def reader(directory):
    return StoreDirectoryReader(directory)


def _uid(directory, upn):
    return directory.get_user(upn)["id"]


def test_is_a_directory_reader(reader):
    assert isinstance(reader, DirectoryReader)


def test_full_sync(reader):
    snap = reader.full_sync()
    assert len(snap.users) == 25 and len(snap.groups) == 5
    megan = next(u for u in snap.users if u["userPrincipalName"] == "megan.bowen@contoso.com")
    assert megan["department"] == "Sales" and megan["manager"] == {"id": snap.users[0]["id"]}
    assert not any(k.startswith("_") for k in megan)
    slim = reader.full_sync(select=["userPrincipalName"])
    assert set(slim.users[0]) == {"id", "userPrincipalName"}
    assert reader.changes_since(snap.watermark).users == []


def test_changes_since(reader, directory):
    mark = reader.watermark()
    alex, ben, kim = _uid(directory, "alex.wilber@contoso.com"), _uid(directory, "ben.walters@contoso.com"), None
    finance = next(g for g in reader.full_sync().groups if g["displayName"] == "Finance")["id"]
    directory.update_user(alex, {"jobTitle": "Lead"})
    kim = directory.create_user({"accountEnabled": True, "displayName": "Kim", "mailNickname": "kim",
                                 "userPrincipalName": "kim@contoso.com", "passwordProfile": {"password": "x1!Aaaaa"}})["id"]
    directory.add_member(finance, kim)
    directory.delete_user(ben)
    changes = reader.changes_since(mark)
    assert {u["id"] for u in changes.users} == {alex, kim}
    assert [g["id"] for g in changes.groups] == [finance]
    assert Removed(ben, "user", "changed") in changes.removed
    ops = [(m.group_id, m.member_id, m.op) for m in changes.memberships]
    assert (finance, kim, "added") in ops and (finance, ben, "removed") in ops
    directory.purge(ben)
    later = reader.changes_since(changes.watermark)
    assert later.removed == [Removed(ben, "user", "deleted")] and later.users == []
    assert not reader.changes_since(later.watermark)


def test_assignment_changes_reach_the_members(reader, directory):
    mark = reader.watermark()
    finance = next(g for g in reader.full_sync().groups if g["displayName"] == "Finance")["id"]
    allan, ben = _uid(directory, "allan.deyoung@contoso.com"), _uid(directory, "ben.walters@contoso.com")
    assert not reader.is_assigned(SP, ben)
    assignment = directory.assign(SP, finance, USER_ROLE)
    changes = reader.changes_since(mark)
    assert {u["id"] for u in changes.users} == {allan, ben}
    assert [(c.assignment["principalId"], c.op) for c in changes.assignments] == [(finance, "added")]
    assert reader.is_assigned(SP, ben)
    assert [a["appRoleId"] for a in reader.effective_assignments(SP, ben)] == [USER_ROLE]
    directory.unassign(assignment["id"])
    assert not reader.is_assigned(SP, ben)


def test_lookups(reader, directory):
    lynne = _uid(directory, "lynne.robbins@contoso.com")
    support = next(g for g in reader.full_sync().groups if g["displayName"] == "Support")["id"]
    assert reader.get_user("lynne.robbins@contoso.com")["id"] == lynne
    assert reader.get_group(support)["displayName"] == "Support"
    assert reader.group_members(support)[0].id == lynne and reader.group_members(support)[0].type == "user"
    assert reader.member_of(lynne) == [support]
    assert reader.manager_of(lynne) == _uid(directory, "nestor.wilke@contoso.com")
    assert reader.get_service_principal(SP)["displayName"] == "PureCloud by Genesys"
    assert reader.get_service_principal("4c1f6e8a-2b3d-4e5f-8a9b-0c1d2e3f4a5b")["id"] == SP
    assert len(reader.app_role_assignments_for(SP)) == 6
    assert [a["appRoleId"] for a in reader.assignments_of(lynne, SP)] == ["8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6"]
    assert reader.is_assigned(SP, lynne) and not reader.is_assigned(SP, _uid(directory, "allan.deyoung@contoso.com"))


def test_watermark_codec():
    assert decode_watermark(encode_watermark(42)) == 42
    with pytest.raises(InvalidWatermark):
        decode_watermark("nonsense")


def test_reset_gives_a_full_resync(reader, directory):
    mark = reader.watermark()
    directory.runtime.reset()
    changes = reader.changes_since(mark)
    assert changes.full and len(changes.users) == 25
