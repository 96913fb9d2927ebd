"""The SCIM schema and message URNs both ends of the wire name (RFC 7643 §8.7, RFC 7644 §3.5.2,
and Genesys' own user extension)."""

from __future__ import annotations

from typing import Final

__all__ = ["USER_URN", "GROUP_URN", "ENTERPRISE_URN", "GENESYS_URN", "LIST_URN", "PATCH_URN", "SPC_URN",
           "RESOURCE_TYPE_URN", "SCHEMA_URN"]

USER_URN: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GENESYS_URN: Final = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"
LIST_URN: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SPC_URN: Final = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN: Final = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN: Final = "urn:ietf:params:scim:schemas:core:2.0:Schema"
