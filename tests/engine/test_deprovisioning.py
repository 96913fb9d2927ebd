"""Deprovisioning: unassign, soft delete, restore, accountEnabled=false, hard delete, SkipOutOfScopeDeletions;
and changes made directly in Genesys."""

from __future__ import annotations

from engine_helpers import PATCH_OP, Provisioning

DISABLE = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
ENABLE = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}


def user_writes(p: Provisioning, mark: int, key: str, target_id: str | None = None) -> list:
    target_id = target_id or p.target_id(key)
    return [c for c in p.writes(mark) if c.path == f"/Users/{target_id}"]


def test_unassign_disables_with_patch_active_false(provisioned: Provisioning):
    p = provisioned
    p.unassign(p.id("nestor"))  # Nestor's only assignment is direct (Supervisor)
    mark = p.mark()
    p.cycle()
    writes = user_writes(p, mark, "nestor")
    assert [(c.method, c.body) for c in writes] == [("PATCH", DISABLE)]
    nestor = p.user("nestor.wilke@contoso.com")
    assert nestor["active"] is False  # kept, not deleted
    entry = p.logs_for("nestor", provisioningAction="disable")[0]
    assert entry["provisioningStatusInfo"]["status"] == "success"
    assert {"displayName": "active", "oldValue": "True", "newValue": "False"} in entry["modifiedProperties"]


def test_leaving_the_only_assigned_group_disables(provisioned: Provisioning):
    p = provisioned
    joni = p.target_id("joni")
    p.remove_member("sales", p.id("joni"))
    mark = p.mark()
    p.cycle()
    assert [c.body for c in user_writes(p, mark, "joni", joni)] == [DISABLE]
    sales = p.group("Sales")
    group_patch = [c for c in p.writes(mark) if c.path == f"/Groups/{sales['id']}"]
    assert [c.body["Operations"] for c in group_patch] == [
        [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": joni}]}]]
    assert joni not in {m["value"] for m in sales["members"]}


def test_soft_delete_disables_and_restore_re_enables(provisioned: Provisioning):
    p = provisioned
    patti = p.target_id("patti")
    p.soft_delete("patti")
    mark = p.mark()
    p.cycle()
    assert [(c.method, c.body) for c in user_writes(p, mark, "patti", patti)] == [("PATCH", DISABLE)]
    assert p.user("patti.fernandez@contoso.com")["active"] is False
    assert p.logs_for("patti", provisioningAction="disable")

    p.restore("patti")
    mark = p.mark()
    p.cycle()
    writes = user_writes(p, mark, "patti", patti)
    assert writes and writes[0].method == "PATCH"
    assert {"op": "Replace", "path": "active", "value": "True"} in writes[0].ops
    assert p.user("patti.fernandez@contoso.com")["active"] is True
    assert not [c for c in p.writes(mark) if c.method in ("POST", "DELETE")]


def test_account_disabled_in_entra_disables_and_re_enabling_enables(provisioned: Provisioning):
    p = provisioned
    p.patch_user("isaiah", accountEnabled=False)
    mark = p.mark()
    p.cycle()
    assert [c.body for c in user_writes(p, mark, "isaiah")] == [DISABLE]
    assert p.user("isaiah.langer@contoso.com")["active"] is False
    entry = p.logs_for("isaiah", provisioningAction="disable")[0]
    assert entry["provisioningStatusInfo"]["status"] == "success"

    p.patch_user("isaiah", accountEnabled=True)
    mark = p.mark()
    p.cycle()
    assert [c.body for c in user_writes(p, mark, "isaiah")] == [ENABLE]
    assert p.user("isaiah.langer@contoso.com")["active"] is True


def test_hard_delete_after_soft_delete_sends_delete(provisioned: Provisioning):
    p = provisioned
    patti = p.target_id("patti")
    p.soft_delete("patti")
    p.cycle()
    p.purge("patti")
    mark = p.mark()
    p.cycle()
    writes = user_writes(p, mark, "patti", patti)
    assert [(c.method, c.body, c.status) for c in writes] == [("DELETE", None, 204)]
    assert p.user("patti.fernandez@contoso.com") is None
    entry = p.logs_for("patti", provisioningAction="delete")[0]
    assert entry["provisioningStatusInfo"]["status"] == "success"
    assert entry["targetIdentity"]["id"] == patti


def test_soft_and_hard_delete_in_one_cycle_sends_delete(provisioned: Provisioning):
    p = provisioned
    patti = p.target_id("patti")
    p.soft_delete("patti")
    p.purge("patti")
    mark = p.mark()
    p.cycle()
    assert [c.method for c in user_writes(p, mark, "patti", patti)] == ["DELETE"]
    assert p.user("patti.fernandez@contoso.com") is None


def test_after_unassign_and_disable_a_later_hard_delete_sends_no_delete(provisioned: Provisioning):
    p = provisioned
    nestor = p.target_id("nestor")
    p.unassign(p.id("nestor"))
    p.cycle()
    assert p.user("nestor.wilke@contoso.com")["active"] is False
    p.soft_delete("nestor")
    p.cycle()
    p.purge("nestor")
    mark = p.mark()
    p.cycle()
    assert user_writes(p, mark, "nestor", nestor) == []
    assert p.user("nestor.wilke@contoso.com") is not None  # left disabled in Genesys
    assert p.logs_for("nestor", provisioningAction="delete") == []


def test_skip_out_of_scope_deletions_leaves_unassigned_users_active(prov: Provisioning):
    p = prov.provision(SkipOutOfScopeDeletions="True")
    p.unassign(p.id("nestor"))
    p.remove_member("sales", p.id("joni"))
    mark = p.mark()
    p.cycle()
    assert user_writes(p, mark, "nestor") == []
    assert user_writes(p, mark, "joni") == []
    assert p.user("nestor.wilke@contoso.com")["active"] is True
    assert p.user("joni.sherman@contoso.com")["active"] is True
    entry = p.logs_for("nestor")[0]
    assert entry["provisioningStatusInfo"]["status"] == "skipped"
    assert any("SkipOutOfScopeDeletions" in s["description"] for s in entry["provisioningSteps"])


def test_skip_out_of_scope_deletions_still_disables_soft_deleted_and_disabled_users(prov: Provisioning):
    p = prov.provision(SkipOutOfScopeDeletions="True")
    p.patch_user("isaiah", accountEnabled=False)
    p.soft_delete("patti")
    mark = p.mark()
    p.cycle()
    assert [c.body for c in user_writes(p, mark, "isaiah")] == [DISABLE]
    assert p.user("patti.fernandez@contoso.com")["active"] is False


def test_a_user_never_in_scope_is_never_touched(provisioned: Provisioning):
    p = provisioned
    # Allan is not assigned; he is deleted in Entra: nothing goes to Genesys.
    p.soft_delete("allan")
    p.purge("allan")
    mark = p.mark()
    p.cycle()
    assert p.writes(mark) == []


def test_changes_made_in_genesys_are_not_reverted_until_the_entra_attribute_changes(provisioned: Provisioning):
    p = provisioned
    alex = p.target_id("alex")
    p.genesys("PATCH", f"/Users/{alex}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "Edited in Genesys"},
        {"op": "replace", "path": "displayName", "value": "Alexander Wilber"}]}, expect=200)
    mark = p.mark()
    p.cycle()
    p.cycle()
    assert user_writes(p, mark, "alex", alex) == []
    assert p.user("alex.wilber@contoso.com")["title"] == "Edited in Genesys"

    # The Entra title changes: the service reads the Genesys user again and Entra's values overwrite every
    # mapped attribute that differs (sync is one-way), the hand-edited displayName included.
    p.patch_user("alex", jobTitle="Senior Account Executive")
    mark = p.mark()
    p.cycle()
    writes = user_writes(p, mark, "alex", alex)
    assert len(writes) == 1
    assert sorted(writes[0].ops, key=lambda op: op["path"]) == [
        {"op": "Replace", "path": "displayName", "value": "Alex Wilber"},
        {"op": "Replace", "path": "title", "value": "Senior Account Executive"}]
    assert p.user("alex.wilber@contoso.com")["title"] == "Senior Account Executive"


def test_user_deleted_in_genesys_is_an_invalid_anchor_error(provisioned: Provisioning):
    p = provisioned
    alex = p.target_id("alex")
    p.genesys("DELETE", f"/Users/{alex}", expect=204)
    p.patch_user("alex", jobTitle="Senior Account Executive")
    mark = p.mark()
    p.cycle()
    assert [c.method for c in p.scim(mark) if c.path == f"/Users/{alex}"] == ["GET"]
    failure = p.logs("provisioningStatusInfo/status eq 'failure'")
    assert failure and failure[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "InvalidAnchor"
