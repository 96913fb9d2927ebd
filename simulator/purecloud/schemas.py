"""What the fake supports, described once: the attribute catalogue of each resource
type, from which the ``/Schemas``, ``/ResourceTypes`` answers, parsing and rendering
(:mod:`.model`, through each attribute's :mod:`.rules` entry), PATCH paths
(:mod:`.patch`), filters (:mod:`.filter`) and ``attributes=`` projection
(:mod:`.projection`) are all derived.

Adding an attribute is one ``Attr`` entry with its rule (``rule=Text()`` for a plain
string; ``filter=`` names the Term a filter on it becomes, ``returned="always"``
keeps it in every projection); ``tests/api/purecloud/test_purecloud_catalogue.py``
proves it.

The attribute lists follow Genesys' Python SDK models (PureCloudPlatformClientV2's ScimV2User,
ScimV2Group and their extensions): core User without ``name``/``photos`` (not in the Genesys models), the
enterprise extension with ``division`` and ``dateHire``, the Genesys extension
(routingSkills, routingLanguages, externalIds); Group with displayName and
members.  ``id``, ``externalId`` and ``meta`` are common attributes (RFC 7643
§3.1) and, as the RFC asks, not repeated in the schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from simulator.scim.path import split_urn as _split_urn
from simulator.scim.urns import (
    ENTERPRISE_URN,
    GENESYS_URN,
    GROUP_URN,
    LIST_URN,
    PATCH_URN,
    RESOURCE_TYPE_URN,
    SCHEMA_URN,
    SPC_URN,
    USER_URN,
)

from .rules import (
    EMAIL_FORM,
    EMAIL_TYPES,
    PHONE_TYPES,
    Boolean,
    DateHire,
    Division,
    ExternalIds,
    GroupsOf,
    Manager,
    Members,
    Password,
    Phones,
    Roles,
    Routing,
    Rule,
    Text,
    WorkEmail,
)

__all__ = [
    "USER_URN", "GROUP_URN", "ENTERPRISE_URN", "GENESYS_URN", "LIST_URN", "PATCH_URN", "SPC_URN",
    "RESOURCE_TYPE_URN", "SCHEMA_URN", "USER_SCHEMAS", "Attr", "ResourceSchema", "USER", "GROUP", "RESOURCES",
    "EMAIL_TYPES", "PHONE_TYPES", "schema_documents", "resource_type_documents", "service_provider_config",
]

USER_SCHEMAS = [USER_URN, ENTERPRISE_URN, GENESYS_URN]



@dataclass(frozen=True)
class Attr:
    """One attribute as RFC 7643 §7 describes it, plus what the fake does with it:
    ``key``: the sub-attribute that identifies an element of a multi-valued attribute
    (a phone's ``type``, a member's ``value``), used by PATCH ``add`` to update instead
    of duplicate; ``rule``: how it is parsed, stored and rendered (None: not stored,
    like ``id`` and ``meta``); ``filter``: the Term a filter on it becomes (None: Genesys
    does not filter on it), also reachable through ``filter_aliases`` and, when the
    attribute has a ``value`` sub-attribute, ``name.value``."""

    name: str
    type: str = "string"
    multi: bool = False
    required: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    case_exact: bool = False
    description: str = ""
    canonical: tuple[str, ...] = ()
    sub: tuple[Attr, ...] = ()
    key: str | None = None
    reference_types: tuple[str, ...] = ()
    rule: Rule | None = field(default=None, compare=False)
    filter: str | None = None
    filter_aliases: tuple[str, ...] = ()

    @property
    def stored_as(self) -> str:
        """The document field the rule keeps it in (``""``: none)."""
        if self.rule is None:
            return ""
        return self.name if self.rule.field is None else self.rule.field

    def child(self, name: str) -> Attr | None:
        lowered = name.lower()
        return next((a for a in self.sub if a.name.lower() == lowered), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "multiValued": self.multi,
                               "description": self.description or self.name, "required": self.required}
        if self.type == "string":
            out["caseExact"] = self.case_exact
        if self.canonical:
            out["canonicalValues"] = list(self.canonical)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        out.update({"mutability": self.mutability, "returned": self.returned, "uniqueness": self.uniqueness})
        if self.sub:
            out["subAttributes"] = [s.to_json() for s in self.sub]
        return out


#: a render or view plan: ``(urn, ((attribute name, stored field, the rule's method or None), ...))``
_Plan = tuple[tuple[str, tuple[tuple[str, str, Callable[..., Any] | None], ...]], ...]


@dataclass(frozen=True)
class ResourceSchema:
    """A resource's core schema and its extensions: ``{urn: {lower name: Attr}}``."""

    name: str
    endpoint: str
    core: str
    schemas: dict[str, tuple[Attr, ...]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    #: common attributes (RFC 7643 §3.1): addressable in paths, not listed in /Schemas
    common: tuple[Attr, ...] = (
        Attr("id", mutability="readOnly", returned="always", case_exact=True, filter="id"),
        Attr("externalId", case_exact=True, rule=Text(), filter="externalId"),
        Attr("meta", type="complex", mutability="readOnly"),
    )
    #: where Genesys' rendering order differs from the catalogue's: these core attributes
    #: first, in this order; any other follows in catalogue order
    render_order: tuple[str, ...] = ()
    #: extensions rendered even when empty (Genesys always sends the enterprise object)
    render_empty: tuple[str, ...] = ()
    #: the ``/Schemas`` resource name of each schema
    schema_names: dict[str, str] = field(default_factory=dict)

    def attributes(self, urn: str) -> tuple[Attr, ...]:
        """The attributes of one schema (the core one with the common attributes)."""
        return self.schemas.get(urn, ()) + (self.common if urn == self.core else ())

    @cached_property
    def urns(self) -> list[str]:
        """Every schema URN of the resource, the core one first."""
        return [self.core, *self.extensions]

    @cached_property
    def rendered(self) -> dict[str, tuple[Attr, ...]]:
        """``{urn: attributes with a rule, in rendering order}``."""
        out = {}
        for urn in self.urns:
            attrs = [a for a in self.attributes(urn) if a.rule is not None]
            if urn == self.core and self.render_order:
                first = {n: i for i, n in enumerate(self.render_order)}
                attrs.sort(key=lambda a: first.get(a.name, len(first)))
            out[urn] = tuple(attrs)
        return out

    @cached_property
    def render_plan(self) -> _Plan:
        """:attr:`rendered` as ``(urn, ((name, stored field, the rule's render or None), ...))``: what
        rendering walks for every answer; None where the rule shows the stored value as it is."""
        return self._plan("render")

    @cached_property
    def view_plan(self) -> _Plan:
        """As :attr:`render_plan`, with each rule's ``view`` (the writable view a PATCH works on)."""
        return self._plan("view")

    def _plan(self, method: str) -> _Plan:
        return tuple((urn, tuple((a.name, a.stored_as, _own(a.rule, method)) for a in attrs))
                     for urn, attrs in self.rendered.items())

    @cached_property
    def extension_urns(self) -> tuple[tuple[str, str], ...]:
        """``(urn, lower urn)`` of every extension, in catalogue order."""
        return tuple((urn, urn.lower()) for urn in self.extensions)

    @cached_property
    def path_cache(self) -> dict[str, Any]:
        """What :mod:`.patch` resolved each PATCH path it saw to (paths repeat: Entra sends the same few)."""
        return {}

    @cached_property
    def always_returned(self) -> tuple[str, ...]:
        """Core attributes every answer carries whatever ``attributes=`` says (RFC 7643 §7 ``returned``)."""
        return tuple(a.name for a in self.schemas.get(self.core, ()) if a.returned == "always")

    @cached_property
    def filter_terms(self) -> dict[tuple[str | None, str], str]:
        """``{(lower URN or None, lower attribute path): Term attribute}`` for every filterable attribute.

        A core attribute is named without URN; an extension attribute with or without its URN.
        """
        out: dict[tuple[str | None, str], str] = {}
        for urn in self.urns:
            for attr in self.attributes(urn):
                if attr.filter is None:
                    continue
                names = [attr.name, *attr.filter_aliases]
                if attr.child("value") is not None:
                    names.append(attr.name + ".value")
                for name in names:
                    out[(None, name.lower())] = attr.filter
                    if urn != self.core:
                        out[(urn.lower(), name.lower())] = attr.filter
        return out

    @property
    def extensions(self) -> list[str]:
        return [urn for urn in self.schemas if urn != self.core]

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], Attr]:
        return {(urn, a.name.lower()): a for urn in self.urns for a in self.attributes(urn)}

    @cached_property
    def _urns_lower(self) -> dict[str, str]:
        return {urn.lower(): urn for urn in self.schemas}

    @cached_property
    def parse_plan(self) -> tuple[tuple[str, str, str, Attr], ...]:
        """(urn, lower name, stored field, attribute) of every attribute a body may set, in catalogue order."""
        return tuple((urn, a.name.lower(), a.stored_as, a) for urn in self.urns for a in self.attributes(urn)
                     if a.rule is not None and a.stored_as and a.mutability != "readOnly")

    @cached_property
    def parse_groups(self) -> tuple[tuple[str, tuple[tuple[str, str, Attr], ...]], ...]:
        """:attr:`parse_plan` grouped by schema, in its order: ``(urn, ((stored field, name, attribute), ...))``."""
        groups: dict[str, list[tuple[str, str, Attr]]] = {}
        for urn, _lowered, key, attr in self.parse_plan:
            groups.setdefault(urn, []).append((key, attr.name, attr))
        return tuple((urn, tuple(entries)) for urn, entries in groups.items())

    def attr(self, urn: str, name: str) -> Attr | None:
        return self._by_name.get((urn, name.lower()))

    def urn_of(self, text: str) -> str | None:
        """The schema URN ``text`` names (case-insensitively), or None."""
        return self._urns_lower.get(text.lower())

    def split_urn(self, path: str) -> tuple[str, str]:
        """``urn:...:enterprise:2.0:User:manager.value`` -> (enterprise URN, ``manager.value``).

        A path without a URN belongs to the core schema.  Raises ``KeyError``
        with the URN part when the path names a schema this resource does not have.
        """
        written, rest = _split_urn(path)
        if written is None:
            return self.core, path
        urn = self.urn_of(written)
        if urn is None:
            raise KeyError(written)
        return urn, rest

    def with_attribute(self, urn: str, attr: Attr) -> ResourceSchema:
        """A copy with ``attr`` added to schema ``urn`` (tests, and a fork adding a Genesys attribute)."""
        from dataclasses import replace

        return replace(self, schemas={**self.schemas, urn: self.schemas.get(urn, ()) + (attr,)})


def _own(rule: Rule | None, method: str) -> Callable[..., Any] | None:
    """``rule``'s bound ``method``, or None when it is :class:`Rule`'s own (the stored value as it is)."""
    bound = getattr(rule, method)
    return None if getattr(bound, "__func__", None) is getattr(Rule, method) else bound


def _s(name: str, **kw: Any) -> Attr:
    return Attr(name, **kw)


_VALUE = _s("value", description="The value")
_PRIMARY = _s("primary", type="boolean", description="The primary value of its kind")

USER = ResourceSchema(
    name="User",
    endpoint="/Users",
    core=USER_URN,
    schemas={
        USER_URN: (
            _s("userName", required=True, uniqueness="server", returned="always", filter="userName",
               rule=Text(EMAIL_FORM, "an e-mail address"),
               description="The user's Genesys Cloud e-mail address (unique among non-deleted users)"),
            _s("displayName", required=True, rule=Text(), description="The profile name"),
            _s("active", type="boolean", returned="always", rule=Boolean(default=True), filter="active",
               description="false makes the user inactive"),
            _s("password", mutability="writeOnly", returned="never", case_exact=True, rule=Password(),
               description="Write-only; generated when omitted on create"),
            _s("title", rule=Text(), description="The profile title"),
            _s("phoneNumbers", type="complex", multi=True, key="type", rule=Phones(),
               description="E.164 or tel URI; one per type",
               sub=(_VALUE, _s("type", canonical=PHONE_TYPES, description="The phone slot"), _PRIMARY)),
            _s("emails", type="complex", multi=True, key="type", rule=WorkEmail(), filter="email",
               filter_aliases=("email",), description="work: the work e-mail; other: mirrors userName (read-only)",
               sub=(_VALUE, _s("type", canonical=EMAIL_TYPES, description="work or other"), _PRIMARY)),
            _s("groups", type="complex", multi=True, mutability="readOnly", key="value", rule=GroupsOf(),
               description="Read-only; change memberships through Groups",
               sub=(_s("value", mutability="readOnly", case_exact=True, description="Group id"),
                    _s("$ref", type="reference", mutability="readOnly", reference_types=("Group",),
                       description="Group URI"),
                    _s("type", mutability="readOnly", canonical=("Group",), description="Always Group"))),
            _s("roles", type="complex", multi=True, key="value", rule=Roles(), description="Genesys roles, by role name",
               sub=(_s("value", description="A Genesys role name"),)),
        ),
        ENTERPRISE_URN: (
            _s("division", rule=Division(), filter="division", description="Division name (maps to the profile's divisionId)"),
            _s("department", rule=Text(), description="Department"),
            _s("manager", type="complex", rule=Manager(), filter="manager", description="The manager's Genesys user id",
               sub=(_s("value", case_exact=True, description="Manager user id"),
                    _s("$ref", type="reference", mutability="readOnly", reference_types=("User",),
                       description="Manager URI"))),
            _s("employeeNumber", rule=Text(), filter="employeeNumber", description="Employee number"),
            _s("dateHire", rule=DateHire(), description="Hire date, YYYY-MM-DD"),
        ),
        GENESYS_URN: (
            _s("routingSkills", type="complex", multi=True, key="name", rule=Routing("skill_name", "skill"),
               description="At most 50",
               sub=(_s("name", required=True, case_exact=True, description="Name of an existing skill"),
                    _s("proficiency", type="decimal", description="0.0 to 5.0"))),
            _s("routingLanguages", type="complex", multi=True, key="name", rule=Routing("language_name", "language"),
               description="At most 50",
               sub=(_s("name", required=True, case_exact=True, description="Name of an existing language"),
                    _s("proficiency", type="decimal", description="0.0 to 5.0"))),
            _s("externalIds", type="complex", multi=True, rule=ExternalIds(), description="External ids; x-pc:scimv2:v1 is immutable",
               sub=(_s("authority", required=True, case_exact=True, description="Authority"),
                    _s("value", required=True, case_exact=True, description="Value"))),
        ),
    },
    descriptions={USER_URN: "Genesys Cloud user", ENTERPRISE_URN: "Enterprise user",
                  GENESYS_URN: "Genesys Cloud user extension"},
    render_order=("active", "userName", "displayName", "title", "phoneNumbers", "emails", "externalId", "groups", "roles"),
    render_empty=(ENTERPRISE_URN,),
    schema_names={USER_URN: "User", ENTERPRISE_URN: "EnterpriseUser", GENESYS_URN: "GenesysUser"},
)

GROUP = ResourceSchema(
    name="Group",
    endpoint="/Groups",
    core=GROUP_URN,
    schemas={
        GROUP_URN: (
            _s("displayName", required=True, uniqueness="server", rule=Text(), filter="displayName",
               description="Group name (matched by Entra)"),
            _s("members", type="complex", multi=True, key="value", rule=Members(), description="Users of the org",
               sub=(_s("value", mutability="immutable", case_exact=True, description="User id"),
                    _s("$ref", type="reference", mutability="immutable", reference_types=("User",),
                       description="User URI"),
                    _s("type", mutability="immutable", canonical=("User",), description="Always User"))),
        ),
    },
    descriptions={GROUP_URN: "Genesys Cloud group (created in Genesys, updated through SCIM)"},
    common=(
        Attr("id", mutability="readOnly", returned="always", case_exact=True, filter="id"),
        Attr("externalId", case_exact=True, rule=Text()),
        Attr("meta", type="complex", mutability="readOnly"),
    ),
    render_order=("displayName", "externalId", "members"),
    schema_names={GROUP_URN: "Group"},
)

RESOURCES = (USER, GROUP)


def schema_documents(base: str, resources: tuple[ResourceSchema, ...] = RESOURCES) -> list[dict[str, Any]]:
    """The ``/Schemas`` resources, in a fixed order."""
    docs = []
    for resource in resources:
        for urn, attrs in resource.schemas.items():
            docs.append({
                "schemas": [SCHEMA_URN],
                "id": urn,
                "name": resource.schema_names.get(urn, urn),
                "description": resource.descriptions.get(urn, urn),
                "attributes": [a.to_json() for a in attrs],
                "meta": {"resourceType": "Schema", "location": f"{base}/schemas/{urn}"},
            })
    return docs


def resource_type_documents(base: str, resources: tuple[ResourceSchema, ...] = RESOURCES) -> list[dict[str, Any]]:
    out = []
    for resource in resources:
        doc: dict[str, Any] = {
            "schemas": [RESOURCE_TYPE_URN],
            "id": resource.name,
            "name": resource.name,
            "endpoint": resource.endpoint,
            "description": resource.descriptions[resource.core],
            "schema": resource.core,
        }
        if resource.extensions:
            doc["schemaExtensions"] = [{"schema": urn, "required": False} for urn in resource.extensions]
        doc["meta"] = {"resourceType": "ResourceType", "location": f"{base}/resourcetypes/{resource.name}"}
        out.append(doc)
    return out


def service_provider_config(base: str, *, max_results: int) -> dict[str, Any]:
    return {
        "schemas": [SPC_URN],
        "documentationUri": "https://developer.genesys.cloud/useragentmanagement/scim/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": True},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [{
            "name": "OAuth Bearer Token",
            "description": "A Genesys Cloud OAuth access token (client credentials grant at /oauth/token)",
            "specUri": "https://datatracker.ietf.org/doc/html/rfc6750",
            "documentationUri": "https://help.mypurecloud.com/articles/create-an-oauth-client/",
            "type": "oauthbearertoken",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/serviceproviderconfig"},
    }
