"""App role assignments: SingleAppRoleAssignment, AppRoleAssignmentsComplex and
AssertiveAppRoleAssignmentsComplex (``[appRoleAssignments]`` as the engine builds it:
``{appRoleId, displayName, value, principalType}`` per assignment)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .environment import Environment
from .registry import register
from .values import null

__all__: list[str] = []

_DEFAULT_ACCESS_ROLE: Final = "00000000-0000-0000-0000-000000000000"


def _role_assignments(value: Any) -> list[Mapping[str, Any]]:
    """The app role assignments that carry a real role (Default Access is skipped)."""
    if null(value):
        return []
    items = value if isinstance(value, list) else [value]
    roles: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            if str(item.get("appRoleId") or item.get("id") or "") == _DEFAULT_ACCESS_ROLE:
                continue
            if item.get("value") is None and item.get("displayName") is None:
                continue
            roles.append(item)
        elif isinstance(item, str) and item:
            roles.append({"value": item, "displayName": item})
    return roles


@register("SingleAppRoleAssignment", ["source"], 1)
def _single_app_role_assignment(args: list[Any], env: Environment) -> Any:
    # The role's value (the SCIM POST example sends "value": "Admin").  With several
    # roles the documented result is "not predictable"; provsim takes the first in the
    # order the directory lists them, so replays are stable.
    roles = _role_assignments(args[0])
    if not roles:
        return None
    role = roles[0]
    return role.get("value") if role.get("value") is not None else role.get("displayName")


def _complex_roles(args: list[Any], env: Environment) -> Any:
    roles = _role_assignments(args[0])
    if not roles:
        return None
    return [
        {
            "primary": False,
            "type": "WindowsAzureActiveDirectoryRole",
            "display": role.get("displayName") if role.get("displayName") is not None else role.get("value"),
            "value": role.get("value") if role.get("value") is not None else role.get("displayName"),
        }
        for role in roles
    ]


register("AppRoleAssignmentsComplex", ["source"], 1)(_complex_roles)
register("AssertiveAppRoleAssignmentsComplex", ["source"], 1)(_complex_roles)
