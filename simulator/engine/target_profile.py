"""Target profiles: what the target app allows that the Entra provisioning service relies on.

The service sends the same SCIM requests to every app ("Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
on Microsoft Learn), except where an app cannot take them.  PureCloud by Genesys is such an app: its groups
can only be updated, never created or deleted through SCIM ("Tutorial: Configure PureCloud by Genesys for automatic user provisioning" on
Microsoft Learn; Genesys removed POST and DELETE /Groups from its SCIM API), so its gallery app matches groups by name and leaves the missing ones alone.  A generic
SCIM app (a gallery app with group provisioning, or a non-gallery "scim" app) gets the whole
group lifecycle: ``POST /Groups`` with ``externalId`` and ``displayName`` and no members,
``PATCH`` ``Replace displayName`` on a rename, ``DELETE /Groups/{id}``.

A job's profile is its ``TargetProfile`` job setting (provsim's own setting, docs/fidelity.md);
without one, the profile of the job's template (``purecloud`` -> ``genesys``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["TargetProfile", "TargetRules", "PROFILE_SETTING", "DEFAULT_PROFILE", "rules_for", "parse_profile", "target_label"]

#: The job setting (``synchronizationJobSettings``) that names a job's target profile.
PROFILE_SETTING = "TargetProfile"


class TargetProfile(str, Enum):
    """The kinds of target app the engine knows."""

    GENESYS = "genesys"  # PureCloud by Genesys (the gallery app): groups updated only
    SCIM = "scim"  # a generic SCIM 2.0 app: groups created, renamed and deleted

    def __str__(self) -> str:
        return self.value


#: The profile of the PureCloud by Genesys template (the only template provsim ships).
DEFAULT_PROFILE = TargetProfile.GENESYS


@dataclass(frozen=True)
class TargetRules:
    """What the cycle may send to a target of this profile."""

    profile: TargetProfile
    #: ``POST /Groups`` for an assigned group with no match (else: ``GroupMissingInTarget``)
    creates_groups: bool
    #: ``DELETE /Groups/{id}`` for a group deleted in Entra or out of scope (else: the link is dropped)
    deletes_groups: bool
    #: how failures name the target ("Genesys answered 400: ...")
    name: str = "Genesys"
    #: the tenant-URL flag ``aadOptscim062020`` switches the PATCH shapes (non-gallery SCIM apps only,
    #: L:application-provisioning-config-problem-scim-compatibility)
    honours_compliance_flag: bool = False


_RULES = {
    TargetProfile.GENESYS: TargetRules(TargetProfile.GENESYS, creates_groups=False, deletes_groups=False),
    TargetProfile.SCIM: TargetRules(TargetProfile.SCIM, creates_groups=True, deletes_groups=True, name="the SCIM app",
                                    honours_compliance_flag=True),
}


def parse_profile(value: str | TargetProfile | None) -> TargetProfile:
    """``"scim"`` -> :attr:`TargetProfile.SCIM` (any case); ``None`` -> the default.  Raises
    ``ValueError`` naming the valid profiles."""
    if value is None or value == "":
        return DEFAULT_PROFILE
    if isinstance(value, TargetProfile):
        return value
    for profile in TargetProfile:
        if profile.value == str(value).strip().lower():
            return profile
    raise ValueError(f"{value!r} is not a target profile; valid: {', '.join(p.value for p in TargetProfile)}")


def rules_for(value: str | TargetProfile | None) -> TargetRules:
    return _RULES[parse_profile(value)]


def target_label(profile: TargetProfile) -> str:
    """How a report names the target server: "your SCIM server", or Genesys for the genesys profile."""
    return "Genesys" if profile is TargetProfile.GENESYS else "your SCIM server"
