"""``provsim snapshot``: a real tenant (and its Genesys org) into a pseudonymised fixture.

    fetch.py      reading as the real APIs page and throttle (Graph nextLink, SCIM startIndex/count, 429)
    read.py       what is read: the app, its assignments and provisioning job, users, groups, Genesys
    pseudonym.py  deterministic, shape-keeping pseudonyms that never equal an original
    build.py      the fixture: the directory, the app with its job, the Genesys org
    cli.py        the command

The fixture loads wherever a tenant fixture does (``provsim serve --fixture FILE``, a
scenario's ``tenant:``, ``@pytest.mark.provsim(fixture=...)``) and keeps the app's
provisioning job, so only the Secret Token has to be entered again.  docs/snapshot.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .build import SnapshotOptions, build_fixture, derive_key
from .fetch import Fetcher, SnapshotError, Source
from .pseudonym import Pseudonymizer
from .read import RawTenant, read_tenant

__all__ = ["Source", "Snapshot", "SnapshotOptions", "SnapshotError", "Pseudonymizer", "take_snapshot",
           "build_fixture", "read_tenant", "RawTenant", "derive_key", "GENESYS_REGIONS", "genesys_urls"]

#: Genesys Cloud regions and their API domain (PureCloudRegionHosts in the Genesys Python SDK, PureCloudPlatformClientV2).
GENESYS_REGIONS: dict[str, str] = {
    "us_east_1": "mypurecloud.com", "eu_west_1": "mypurecloud.ie", "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp", "eu_central_1": "mypurecloud.de", "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud", "ap_northeast_2": "apne2.pure.cloud", "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud", "us_east_2": "use2.us-gov-pure.cloud", "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud", "ap_northeast_3": "apne3.pure.cloud", "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud", "ap_southeast_1": "apse1.pure.cloud",
}


def genesys_urls(region: str) -> tuple[str, str]:
    """(API URL, login URL) of a Genesys region (``us_east_1`` or ``us-east-1``)."""
    domain = GENESYS_REGIONS[region.replace("-", "_").lower()]
    return f"https://api.{domain}", f"https://login.{domain}"


@dataclass
class Snapshot:
    fixture: dict[str, Any]
    #: the Retry-After waits the reads took (seconds)
    waits: list[float]

    @property
    def warnings(self) -> list[str]:
        return list(self.fixture["snapshot"]["warnings"])


def take_snapshot(source: Source, options: SnapshotOptions | None = None, *, http: httpx.Client | None = None,
                  sleep: Callable[[float], None] = time.sleep,
                  progress: Callable[[str, int], None] | None = None) -> Snapshot:
    """Read the tenant and build its fixture (``http``: the client to read with; one is made if None)."""
    options = options or SnapshotOptions()
    own = http is None
    client = http or httpx.Client(timeout=60, follow_redirects=False)
    try:
        fetch = Fetcher(client, source, sleep=sleep, progress=progress)
        raw = read_tenant(fetch, options.app, genesys=bool(source.genesys_client_id))
        return Snapshot(build_fixture(raw, options, tenant=source.tenant), list(fetch.waits))
    finally:
        if own:
            client.close()
