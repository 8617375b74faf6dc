"""Every role × every write endpoint of the directory and accounts × in / out of scope.

The endpoints come from the app's own routes (its OpenAPI document): a new write endpoint under
a directory path fails `test_every_write_endpoint_is_in_the_matrix` until it has a request
here. For each role:
- out of scope: the answer is exactly the answer for ids that do not exist (no leak), a 4xx,
  and nothing changed (rows, events, audit);
- in scope: 2xx for the roles that keep that part of the directory, 403 for the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from services.hazard_api.auth.models import User
from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login

DIRECTORY_PATHS = ("units", "people", "posts", "portfolios", "users", "supervision")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TABLES = ("units", "supervising_departments", "people", "posts", "portfolio_units",
          "portfolio_industries", "users", "audit_log", "outbox")  # fmt: skip


@dataclass(frozen=True)
class Side:
    """Ids of one side of a role's scope: a writable enterprise, its territory, a person and a
    post of it, a login account, and the departments an enterprise there is supervised by."""

    unit: str
    territory: str
    person: str
    post: str
    account: str
    departments: tuple[str, ...]
    # Numbers registered there (None: a fresh one each time); two, as creating a person with
    # the first from inside one's scope may succeed and then be in scope itself.
    mobiles: tuple[str, str] | None = None


MISSING = Side("nope-unit", "nope-village", "nope-person", "nope-post", "nope-user", ())
DAPING = Side("ent-hongxing", "tw-daping", "p-hongxing-2", "post-hongxing-aq", "hongxing",
              ("dep-yingji",), ("13800001002", "13800001001"))  # fmt: skip
MATOUPU = Side("ent-jiancheng", "vl-hexi", "p-jiancheng-2", "post-jiancheng-aq", "zhujian",
               ("dep-zhujian",), ("13800001052", "13800001051"))  # fmt: skip
HUAYU = Side("ent-huayu", "vl-hexi", "p-huayu-2", "post-huayu-aq", "daping", ("dep-yingji",),
             ("13800001022", "13800001021"))  # fmt: skip

# role's login → (inside, outside); the county office has no outside.
SCOPES: dict[str, tuple[Side, Side | None]] = {
    "office": (MATOUPU, None),
    "daping": (DAPING, replace(MATOUPU, territory="vl-hexi")),
    "zhujian": (replace(MATOUPU, territory="tw-matoupu"), HUAYU),
    "hongxing": (DAPING, MATOUPU),
    "fuxianzhang": (MATOUPU, DAPING),
    "shiji": (MATOUPU, None),
}
# Which parts of the directory each role keeps (the first path segment).
KEEPS: dict[str, set[str]] = {
    "office": {"units", "people", "posts", "users"},
    "daping": {"units", "people", "posts"},
    "zhujian": {"units", "people", "posts"},
    "hongxing": {"people", "posts"},
    "fuxianzhang": set(),
    "shiji": set(),
}

Request = tuple[str, dict[str, Any] | None]
_names = itertools.count()
_mobiles = itertools.count(13700000100)


def _name(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


def _mobile(s: Side, which: int = 0) -> str:
    return s.mobiles[which] if s.mobiles else str(next(_mobiles))


def _new_unit(s: Side, r: Side) -> Request:
    body = {"kind": "enterprise", "name": _name("矩阵企业"), "area_code": "430723",
            "territorial_unit_id": s.territory, "industry_code": "C2672",
            "supervising_department_ids": list(r.departments)}  # fmt: skip
    return "/units", body


# (method, path) → request for a container on side `s` referring to things on side `r`.
Builder = Callable[[Side, Side, dict[str, str]], Request]
BUILDERS: dict[tuple[str, str], Builder] = {
    ("POST", "/units"): lambda s, r, _ids: _new_unit(s, r),
    ("PATCH", "/units/{unit_id}"): lambda s, r, _ids: (
        f"/units/{s.unit}",
        {"name": _name("改名"), "supervising_department_ids": list(r.departments)},
    ),
    ("POST", "/people"): lambda s, r, _ids: (
        "/people",
        {"unit_id": s.unit, "name": "矩阵人员", "mobile": _mobile(r)},
    ),
    ("PATCH", "/people/{person_id}"): lambda s, r, _ids: (
        f"/people/{s.person}",
        {"name": "改名", "mobile": _mobile(r, 1)},
    ),
    ("POST", "/posts"): lambda s, r, _ids: (
        "/posts",
        {"unit_id": s.unit, "role": "clerk", "title": "统计员", "holder_person_id": r.person},
    ),
    ("PATCH", "/posts/{post_id}"): lambda s, r, _ids: (
        f"/posts/{s.post}",
        {"title": "改名", "holder_person_id": r.person},
    ),
    ("DELETE", "/posts/{post_id}"): lambda s, _r, _ids: (f"/posts/{s.post}", None),
    ("POST", "/users"): lambda s, r, _ids: (
        "/users",
        {
            "username": _name("matrix"),
            "password": "Juzhen-mima-2026",
            "role": "enterprise",
            "unit_id": s.unit,
            "person_id": r.person,
        },
    ),
    ("PATCH", "/users/{user_id}"): lambda s, _r, ids: (
        f"/users/{ids.get(s.account, s.account)}",
        {"scopes": []},
    ),
    ("DELETE", "/users/{user_id}"): lambda s, _r, ids: (
        f"/users/{ids.get(s.account, s.account)}",
        None,
    ),
}


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    """From the app's OpenAPI document, which FastAPI builds from every route it serves."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        if path.strip("/").split("/")[0] in DIRECTORY_PATHS:
            found |= {(m.upper(), path) for m in operations if m.upper() in WRITE_METHODS}
    # Deletions last: the in-scope delete removes the post the other requests use.
    return sorted(found, key=lambda mp: (mp[0] == "DELETE", mp[1], mp[0]))


def test_every_write_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    routes = write_routes(app)
    assert len(routes) >= 9
    assert [r for r in routes if r not in BUILDERS] == []


async def _state(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    async with app.state.engine.connect() as conn:
        return {
            table: sorted(
                (
                    tuple(map(str, row))
                    for row in await conn.execute(text(f"SELECT * FROM {table}"))
                ),
            )
            for table in TABLES
        }


@pytest.mark.parametrize("username", sorted(SCOPES))
async def test_role_by_endpoint_by_scope(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, username: str
) -> None:
    headers = await login(username)
    async with app.state.sessionmaker() as session:
        ids = {u.username: u.id for u in await session.scalars(select(User))}
    inside, outside = SCOPES[username]
    leaks: list[str] = []
    for method, path in write_routes(app):
        build = BUILDERS[(method, path)]
        if outside is not None:
            # Something out of scope; then, but for a deletion (it refers to nothing), a
            # reference out of scope from something inside one's scope. Departments are the
            # county's public frame: the missing twin names the same ones.
            hidden = replace(MISSING, departments=outside.departments)
            cases = [(outside, MISSING)] + ([] if method == "DELETE" else [(inside, inside)])
            for where, twin in cases:
                before = await _state(app)
                url, body = build(where, outside, ids)
                out = await client.request(method, url, json=body, headers=headers)
                url, body = build(twin, hidden, ids)
                gone = await client.request(method, url, json=body, headers=headers)
                seen = (out.status_code, out.json() if out.status_code >= 300 else None)
                if seen != (gone.status_code, gone.json() if gone.status_code >= 300 else None):
                    leaks.append(f"{method} {path}: {out.status_code} {out.text} ≠ {gone.text}")
                if where is outside and out.status_code not in (403, 404, 422):
                    leaks.append(f"{method} {path}: out of scope answered {out.status_code}")
                if out.status_code >= 300 and await _state(app) != before:
                    leaks.append(f"{method} {path}: a refused request changed the database")
        url, body = build(inside, replace(inside, mobiles=None), ids)
        response = await client.request(method, url, json=body, headers=headers)
        keeps = path.strip("/").split("/")[0] in KEEPS[username]
        expected_ok = response.status_code < 300
        if keeps != expected_ok or (not keeps and response.status_code != 403):
            leaks.append(f"{method} {path} in scope: {response.status_code} {response.text}")
    assert leaks == []
