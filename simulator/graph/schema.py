"""The Graph v1.0 properties the fake knows, their types and default sets.

One table per entity type: which properties exist, which a client may write,
which ``GET /users`` returns without ``$select`` (Graph returns a small
default set for users, the rest only when selected; the other types here
return every property), and which ``$filter`` accepts.  The Directory
validates writes against it and the views shape responses with it, so a
property is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["EntityType", "USER", "GROUP", "SERVICE_PRINCIPAL", "APPLICATION", "APP_ROLE_ASSIGNMENT", "ENTITY_TYPES"]

STR, BOOL, STRLIST, OBJ, OBJLIST, DATETIME = "string", "boolean", "string[]", "object", "object[]", "datetime"


@dataclass(frozen=True)
class EntityType:
    resource: str                             # User (as Graph names it in messages)
    properties: dict[str, str]                # name -> type, in the order responses list them
    writable: frozenset[str]
    filterable: frozenset[str]
    #: returned without $select; left out, every property (in the order of ``properties``)
    defaults: tuple[str, ...] = ()
    searchable: frozenset[str] = frozenset()
    orderable: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.defaults:
            object.__setattr__(self, "defaults", tuple(self.properties))

    @property
    def name(self) -> str:
        """The OData type name, ``microsoft.graph.servicePrincipal``: the resource name in camelCase."""
        return f"microsoft.graph.{self.resource[0].lower()}{self.resource[1:]}"

    @property
    def collection(self) -> str:
        """The entity set, ``servicePrincipals``: the type name in the plural (every type here follows the rule)."""
        return f"{self.resource[0].lower()}{self.resource[1:]}s"

    @property
    def odata_type(self) -> str:
        return f"#{self.name}"

    def canonical(self, prop: str) -> str | None:
        """Graph property names are case-insensitive in queries."""
        return _LOWER[self.name].get(prop.lower())

    def check_value(self, prop: str, value: Any) -> bool:
        kind = self.properties[prop]
        if value is None:  # null clears a property
            return True
        if kind == STR:
            return isinstance(value, str)
        if kind == BOOL:
            return isinstance(value, bool)
        if kind == STRLIST:
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        if kind == OBJ:
            return isinstance(value, dict)
        if kind == OBJLIST:
            return isinstance(value, list) and all(isinstance(v, dict) for v in value)
        if kind == DATETIME:
            return isinstance(value, str)
        return True


USER = EntityType(
    resource="User",
    properties={
        "id": STR, "deletedDateTime": DATETIME, "accountEnabled": BOOL, "ageGroup": STR, "businessPhones": STRLIST,
        "city": STR, "companyName": STR, "country": STR, "createdDateTime": DATETIME, "department": STR,
        "displayName": STR, "employeeHireDate": DATETIME, "employeeId": STR, "employeeOrgData": OBJ,
        "employeeType": STR, "faxNumber": STR, "givenName": STR, "jobTitle": STR, "mail": STR, "mailNickname": STR,
        "mobilePhone": STR, "officeLocation": STR, "onPremisesImmutableId": STR, "otherMails": STRLIST,
        "passwordPolicies": STR, "passwordProfile": OBJ, "postalCode": STR, "preferredLanguage": STR,
        "proxyAddresses": STRLIST, "state": STR, "streetAddress": STR, "surname": STR, "usageLocation": STR,
        "userPrincipalName": STR, "userType": STR,
    },
    writable=frozenset({
        "accountEnabled", "ageGroup", "businessPhones", "city", "companyName", "country", "department", "displayName",
        "employeeHireDate", "employeeId", "employeeOrgData", "employeeType", "faxNumber", "givenName", "jobTitle",
        "mail", "mailNickname", "mobilePhone", "officeLocation", "onPremisesImmutableId", "otherMails",
        "passwordPolicies", "passwordProfile", "postalCode", "preferredLanguage", "state", "streetAddress", "surname",
        "usageLocation", "userPrincipalName", "userType",
    }),
    defaults=("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
              "preferredLanguage", "surname", "userPrincipalName", "id"),
    filterable=frozenset({
        "id", "accountEnabled", "city", "companyName", "country", "createdDateTime", "department", "displayName",
        "employeeId", "employeeType", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone",
        "officeLocation", "onPremisesImmutableId", "preferredLanguage", "state", "surname", "usageLocation",
        "userPrincipalName", "userType", "businessPhones", "otherMails", "proxyAddresses",
    }),
    searchable=frozenset({"displayName", "mail", "userPrincipalName", "givenName", "surname", "mailNickname",
                          "jobTitle", "department", "employeeId"}),
    orderable=frozenset({"displayName", "userPrincipalName"}),
)

GROUP = EntityType(
    resource="Group",
    properties={
        "id": STR, "deletedDateTime": DATETIME, "classification": STR, "createdDateTime": DATETIME,
        "description": STR, "displayName": STR, "groupTypes": STRLIST, "isAssignableToRole": BOOL, "mail": STR,
        "mailEnabled": BOOL, "mailNickname": STR, "membershipRule": STR, "membershipRuleProcessingState": STR,
        "proxyAddresses": STRLIST, "securityEnabled": BOOL, "securityIdentifier": STR, "visibility": STR,
    },
    writable=frozenset({"classification", "description", "displayName", "groupTypes", "isAssignableToRole",
                        "mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState",
                        "securityEnabled", "visibility"}),
    filterable=frozenset({"id", "displayName", "mail", "mailEnabled", "mailNickname", "securityEnabled",
                          "groupTypes", "createdDateTime", "description", "proxyAddresses"}),
    searchable=frozenset({"displayName", "description", "mail", "mailNickname"}),
    orderable=frozenset({"displayName"}),
)

SERVICE_PRINCIPAL = EntityType(
    resource="ServicePrincipal",
    properties={
        "id": STR, "deletedDateTime": DATETIME, "accountEnabled": BOOL, "appDisplayName": STR, "appId": STR,
        "applicationTemplateId": STR, "appOwnerOrganizationId": STR, "appRoleAssignmentRequired": BOOL,
        "appRoles": OBJLIST, "displayName": STR, "notificationEmailAddresses": STRLIST,
        "preferredSingleSignOnMode": STR, "servicePrincipalNames": STRLIST, "servicePrincipalType": STR,
        "tags": STRLIST,
    },
    writable=frozenset({"accountEnabled", "appId", "appRoleAssignmentRequired", "appRoles", "displayName",
                        "notificationEmailAddresses", "preferredSingleSignOnMode", "tags"}),
    filterable=frozenset({"id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "tags",
                          "applicationTemplateId"}),
    searchable=frozenset({"displayName"}),
    orderable=frozenset({"displayName"}),
)

APPLICATION = EntityType(
    resource="Application",
    properties={
        "id": STR, "deletedDateTime": DATETIME, "appId": STR, "applicationTemplateId": STR, "appRoles": OBJLIST,
        "createdDateTime": DATETIME, "displayName": STR, "identifierUris": STRLIST, "signInAudience": STR,
        "tags": STRLIST,
    },
    writable=frozenset({"appRoles", "displayName", "identifierUris", "signInAudience", "tags"}),
    filterable=frozenset({"id", "appId", "displayName", "applicationTemplateId", "tags"}),
    searchable=frozenset({"displayName"}),
    orderable=frozenset({"displayName"}),
)

APP_ROLE_ASSIGNMENT = EntityType(
    resource="AppRoleAssignment",
    properties={
        "id": STR, "deletedDateTime": DATETIME, "appRoleId": STR, "createdDateTime": DATETIME,
        "principalDisplayName": STR, "principalId": STR, "principalType": STR, "resourceDisplayName": STR,
        "resourceId": STR,
    },
    writable=frozenset({"appRoleId", "principalId", "resourceId"}),
    filterable=frozenset({"id", "appRoleId", "principalId", "principalType", "resourceId", "principalDisplayName"}),
)

ENTITY_TYPES = {t.name.split(".")[-1]: t for t in (USER, GROUP, SERVICE_PRINCIPAL, APPLICATION, APP_ROLE_ASSIGNMENT)}

_LOWER = {t.name: {p.lower(): p for p in t.properties} for t in ENTITY_TYPES.values()}
