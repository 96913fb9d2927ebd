"""``provsim fixtures generate``: a realistic tenant of any size, the same for the same seed.

What it produces (the shape of ``fixtures/tenants/contoso.yaml``):

* ``tenant``: a tenant id and domain derived from the seed, the demo Graph clients;
* ``directory.users``: names, UPNs, departments, titles by level, offices with usage
  locations, phones, employee ids, a few disabled accounts, and managers forming one
  tree (a CEO, VPs per department, directors, managers, staff: at most 7 reports each);
* ``directory.groups``: one group per department first, then project/team groups with
  random members (and a few nested groups);
* the PureCloud by Genesys gallery app with several roles, assigned to most department
  groups (role User), to leaders directly (Supervisor) and to a few users (Agent);
* ``purecloud``: a Genesys org with a group of the same name for every assigned
  department group except one (the documented "group must exist" case).

Pure function of its arguments (``random.Random(seed)``); 100k users in a few seconds.

:func:`write_fixture` writes a tenant fixture to a file, this one or any other (``provsim snapshot``'s,
the tenant ``provsim incident import`` builds): JSON or YAML, as :func:`simulator.core.load_fixture` reads.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["generate_tenant", "write_fixture", "DEPARTMENTS"]

FIRST = ["Adele", "Alex", "Allan", "Ben", "Christie", "Debra", "Diego", "Enrico", "Grady", "Henrietta", "Irvin",
         "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Patti", "Pradeep",
         "Sam", "Zoë", "Nina", "Aisha", "Bram", "Chen", "Daan", "Elif", "Fatima", "Goran", "Hana", "Ingrid", "Jasper",
         "Kofi", "Lotte", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera",
         "Willem", "Xin", "Yara", "Zeynep", "Ana", "Björn", "Camille", "Dmitri", "Emma", "Finn", "Greta", "Hugo"]
LAST = ["Vance", "Wilber", "Deyoung", "Walters", "Cline", "Berger", "Siciliani", "Cattaneo", "Archie", "Mueller",
        "Sayers", "Langer", "Lorenz", "Sherman", "Gu", "Holloway", "Robbins", "Bowen", "Graham", "Wilke",
        "Fernandez", "Gupta", "O'Neil", "Østergaard", "Diaz", "de Vries", "Jansen", "Bakker", "Visser", "Smit",
        "Meijer", "Mulder", "Bos", "Peters", "Hendriks", "Dekker", "Khan", "Nguyen", "Kowalski", "Novak",
        "Rossi", "García", "Silva", "Müller", "Schmidt", "Dubois", "Andersen", "Nielsen", "Yilmaz", "Tanaka"]
DEPARTMENTS = ["Sales", "Support", "Engineering", "Marketing", "Finance", "Operations", "Human Resources", "Legal",
               "Facilities", "Training"]
TITLES = {
    "Sales": ["Account Executive", "Sales Representative", "Inside Sales Agent"],
    "Support": ["Support Agent", "Support Engineer", "Customer Care Specialist"],
    "Engineering": ["Software Engineer", "Site Reliability Engineer", "Telephony Engineer"],
    "Marketing": ["Campaign Manager", "Content Writer", "Marketing Analyst"],
    "Finance": ["Accountant", "Financial Analyst", "Payroll Specialist"],
    "Operations": ["Operations Analyst", "Workforce Planner", "Quality Analyst"],
    "Human Resources": ["HR Advisor", "Recruiter", "HR Analyst"],
    "Legal": ["Legal Counsel", "Paralegal", "Compliance Officer"],
    "Facilities": ["Facilities Coordinator", "Office Manager", "Technician"],
    "Training": ["Trainer", "Learning Designer", "Coach"],
}
OFFICES = [("Redmond", "US", "+1425"), ("Seattle", "US", "+1206"), ("Amsterdam", "NL", "+3120"),
           ("Munich", "DE", "+4989"), ("Dublin", "IE", "+3531"), ("Copenhagen", "DK", "+4533"),
           ("Bangalore", "IN", "+9180"), ("Milan", "IT", "+3902")]
TEAMS = ["Project Atlas", "Project Borealis", "Tiger Team", "Night Shift", "Weekend Rota", "Escalations", "Onboarding",
         "Quality Circle", "Tier 2", "Social Committee", "Dutch Speakers", "German Speakers", "Pilot Users"]
FANOUT = 7

ROLES = [
    {"id": "00000000-0000-0000-0000-000000000000", "displayName": "Default Access", "value": None,
     "description": "Default access (no role)", "allowedMemberTypes": ["User"]},
    {"id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "displayName": "User", "value": "User",
     "description": "Genesys Cloud user", "allowedMemberTypes": ["User"]},
    {"id": "6f5e4d3c-2b1a-4098-a7b6-c5d4e3f2a1b0", "displayName": "msiam_access", "value": None,
     "description": "msiam_access", "allowedMemberTypes": ["User"]},
    {"id": "8a7b6c5d-4e3f-4a1b-9c0d-e1f2a3b4c5d6", "displayName": "Supervisor", "value": "Supervisor",
     "description": "Genesys Cloud supervisor", "allowedMemberTypes": ["User"]},
    {"id": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e", "displayName": "Agent", "value": "Agent",
     "description": "Genesys Cloud agent", "allowedMemberTypes": ["User"]},
]


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ascii(name: str) -> str:
    table = str.maketrans({"ë": "e", "ø": "o", "Ø": "o", "ö": "o", "ü": "u", "í": "i", "á": "a", "é": "e", "ç": "c",
                           "'": "", " ": ""})
    return name.translate(table).lower()


def generate_tenant(users: int, groups: int, seed: int = 0, *,
                    progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """The fixture as a dict (see the module docstring).  ``progress(stage, done, total)`` is called every 10k users."""
    if users < 1:
        raise ValueError("a tenant needs at least one user")
    if groups < 0:
        raise ValueError("groups must not be negative")
    rng = random.Random(int.from_bytes(hashlib.sha256(f"provsim-fixture:{seed}".encode()).digest()[:16], "big"))
    org = f"tenant{seed}"
    domain = f"{org}.example.com"
    tenant: dict[str, Any] = {
        "id": _guid(rng), "domain": f"{org}.onmicrosoft.com", "verifiedDomains": [domain],
        "displayName": f"Generated tenant (seed {seed})", "start": "2026-01-05T09:00:00Z",
        "clients": [
            {"clientId": "provsim-graph-client", "clientSecret": "provsim-graph-secret", "displayName": "provsim automation",
             "appId": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
             "roles": ["User.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All", "Application.ReadWrite.All",
                       "AppRoleAssignment.ReadWrite.All", "Synchronization.ReadWrite.All", "AuditLog.Read.All"]},
            {"clientId": "provsim-graph-reader", "clientSecret": "provsim-graph-reader-secret",
             "displayName": "read-only reporting", "appId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
             "roles": ["User.Read.All", "Group.Read.All"]},
        ],
    }
    n_depts = max(1, min(len(DEPARTMENTS), groups or len(DEPARTMENTS)))
    departments = DEPARTMENTS[:n_depts]
    taken: dict[str, int] = {}
    out_users: list[dict] = []
    depth = [0] * users
    dept_of = [""] * users
    for i in range(users):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{_ascii(first)}.{_ascii(last)}"
        n = taken.get(base, 0)
        taken[base] = n + 1
        nick = base if n == 0 else f"{base}{n + 1}"
        manager = (i - 1) // FANOUT if i else None
        depth[i] = depth[manager] + 1 if manager is not None else 0
        if depth[i] == 0:
            dept, title = "Executive", "Chief Executive Officer"
        elif depth[i] == 1:
            dept = departments[(i - 1) % len(departments)]
            title = f"VP {dept}"
        else:
            dept = dept_of[manager]  # type: ignore[index]  # depth > 1: manager is an int here
            title = {2: f"Director {dept}", 3: f"{dept} Manager"}.get(depth[i]) or rng.choice(TITLES.get(dept, ["Specialist"]))
        dept_of[i] = dept
        city, country, prefix = OFFICES[rng.randrange(len(OFFICES))]
        user: dict[str, Any] = {
            "key": f"u{i}", "userPrincipalName": f"{nick}@{domain}", "displayName": f"{first} {last}",
            "givenName": first, "surname": last, "mail": f"{nick}@{domain}", "mailNickname": nick,
            "jobTitle": title, "department": dept, "employeeId": f"E{100000 + i}",
            "accountEnabled": rng.random() >= 0.03, "usageLocation": country, "officeLocation": city,
            "companyName": tenant["displayName"].split(" (")[0],
            "businessPhones": [f"{prefix}{5550000 + i:07d}"] if rng.random() < 0.8 else [],
        }
        if rng.random() < 0.7:
            user["mobilePhone"] = f"{prefix}{6000000 + i:07d}"
        if rng.random() < 0.05:
            user["employeeType"] = "Contractor"
        if manager is not None:
            user["manager"] = f"u{manager}"
        out_users.append(user)
        if progress and (i + 1) % 10_000 == 0:
            progress("users", i + 1, users)

    by_dept: dict[str, list[str]] = {d: [] for d in departments}
    for i, dept in enumerate(dept_of):
        if dept in by_dept:
            by_dept[dept].append(f"u{i}")
    out_groups: list[dict] = []
    for dept in departments[:groups]:
        nick = _ascii(dept)
        out_groups.append({"key": f"g-{nick}", "displayName": dept, "description": f"{dept} department",
                           "mailNickname": nick, "securityEnabled": True, "mailEnabled": False, "members": by_dept[dept]})
    for j in range(len(out_groups), groups):
        name = TEAMS[j % len(TEAMS)] + (f" {j // len(TEAMS) + 1}" if j >= len(TEAMS) else "")
        size = min(users, rng.randint(3, max(3, min(200, users // 20 or 3))))
        members = sorted({f"u{rng.randrange(users)}" for _ in range(size)}, key=lambda k: int(k[1:]))
        if out_groups and rng.random() < 0.1:
            members.append(out_groups[rng.randrange(len(out_groups))]["key"])  # a nested group
        nick = _ascii(name).replace("-", "")
        out_groups.append({"key": f"g{j}", "displayName": name, "description": f"{name} team", "mailNickname": nick,
                           "securityEnabled": True, "mailEnabled": False, "members": members})
    if progress:
        progress("groups", groups, groups)

    dept_groups = out_groups[:min(groups, n_depts)]
    assigned = dept_groups[:max(1, (len(dept_groups) * 3 + 3) // 4)] if dept_groups else []
    assignments = [{"principal": g["key"], "role": "User"} for g in assigned]
    assignments += [{"principal": f"u{i}", "role": "Supervisor"} for i in range(users) if depth[i] <= 2]
    assignments += [{"principal": f"u{i}", "role": "Agent"} for i in sorted(rng.sample(range(users), min(users, 5)))
                    if depth[i] > 2]
    application = {
        "key": "purecloud", "template": "purecloud-by-genesys", "displayName": "PureCloud by Genesys",
        "appId": _guid(rng), "applicationId": _guid(rng), "servicePrincipalId": _guid(rng),
        "appRoles": ROLES, "assignments": assignments,
    }
    # Every assigned department group exists in Genesys, except the last one: the "group must exist" case.
    genesys_groups = [g["displayName"] for g in (assigned[:-1] if len(assigned) > 1 else assigned)]
    purecloud = {
        "org": {"id": _guid(rng), "name": f"{tenant['displayName']} Contact Center", "domain": org,
                "region": "us_east_1", "rateLimitPerMinute": 300, "rateLimitEnabled": True, "maxPageSize": 100,
                "maxRequestBytes": 512000},
        "roles": [
            {"name": "admin", "description": "Master admin", "permissions": ["*"]},
            {"name": "employee", "description": "Default role of every user", "permissions": ["directory:user:view"]},
            {"name": "Supervisor", "description": "Supervisor", "permissions": ["directory:user:view"]},
        ],
        "clients": [{"clientId": "provsim-purecloud-client", "clientSecret": "provsim-purecloud-secret",
                     "name": "Entra ID provisioning", "roles": ["admin"], "tokenLifetimeSeconds": 86400}],
        "divisions": [{"name": "Home", "id": _guid(rng)}],
        "skills": departments[:5],
        "languages": ["English", "Dutch", "German", "Danish"],
        "groups": [{"name": name, "description": f"{name} (pre-created)", "type": "official", "visibility": "public"}
                   for name in genesys_groups],
        "users": [],
    }
    return {"tenant": tenant, "directory": {"users": out_users, "groups": out_groups, "applications": [application]},
            "purecloud": purecloud}


def write_fixture(data: dict, out: Path) -> None:
    """``.json``: JSON (fast to write and load; YAML readers accept it too). Otherwise YAML (libyaml if present)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        if out.suffix == ".json":
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        else:
            import yaml

            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            fh.write("# Generated by `provsim fixtures generate`; see simulator/graph/generate.py.\n")
            yaml.dump(data, fh, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)
    tmp.replace(out)
