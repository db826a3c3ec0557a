"""Issue 18 finding 1: a session ends on sign-out, on a password change, on a role change and on
deletion; a copied cookie opens nothing afterwards (``tenderwatch.web.sessions``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import User
from tenderwatch.web import users
from tests.web.conftest import ILO_PASSWORD
from tests.web.test_site import _csrf, _login


def _copy(client: TestClient) -> TestClient:
    """A second browser holding a copy of ``client``'s cookies (a stolen or kept-back cookie)."""
    other = TestClient(client.app, base_url="http://127.0.0.1")
    other.cookies.update(client.cookies)
    return other


def _admin_with_copied_cookie(client: TestClient) -> tuple[TestClient, str]:
    assert _login(client, username="root-admin").status_code == 303
    token = _csrf(client.get("/admin/").text)
    return _copy(client), token


def _may_open_admin(browser: TestClient) -> bool:
    return browser.get("/admin/", follow_redirects=False).status_code == 200


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(client, seeded, engine, figures) -> None:
    stolen, token = _admin_with_copied_cookie(client)
    assert _may_open_admin(stolen)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not _may_open_admin(stolen)
    made = stolen.post("/admin/users", data={"username": "intruder", "password": "a long password 123",
                                             "role": "admin", "csrf_token": token}, follow_redirects=False)
    assert made.status_code in (303, 403) and made.headers.get("location", "").startswith(("/login", ""))
    with session_scope(engine) as s:
        intruder = s.scalar(select(User).where(User.username == "intruder"))
    figures.attack("session: copied admin cookie after sign-out opens /admin/ and creates an admin",
                   stopped=intruder is None and not _may_open_admin(stolen),
                   detail=f"/admin/ -> {stolen.get('/admin/', follow_redirects=False).status_code}, "
                          f"create admin -> {made.status_code}")
    assert intruder is None


@pytest.mark.parametrize("change", [
    lambda engine: users.set_role(engine, "root-admin", "ilo"),
    lambda engine: users.add_user(engine, "root-admin", "a brand new password", "admin", replace_password=True),
    lambda engine: users.delete_user(engine, "root-admin"),
], ids=["role changed", "password reset", "user deleted"])
def test_a_change_to_the_user_ends_its_sessions(client, seeded, engine, change: Callable, figures,
                                                request) -> None:
    stolen, _ = _admin_with_copied_cookie(client)
    assert _may_open_admin(stolen)
    change(engine)
    status = stolen.get("/admin/", follow_redirects=False).status_code
    figures.attack(f"session: old admin cookie after {request.node.callspec.id}", stopped=status != 200,
                   detail=f"/admin/ -> {status}")
    assert not _may_open_admin(stolen) and not _may_open_admin(client)


def test_role_comes_from_the_database_not_the_cookie(client, seeded, engine) -> None:
    assert _login(client, username="ilo-cern", password=ILO_PASSWORD).status_code == 303
    assert client.get("/admin/", follow_redirects=False).status_code == 403
    with session_scope(engine) as s:  # promoted behind the session's back: no new sign-in needed, no stale role
        s.scalar(select(User).where(User.username == "ilo-cern")).role = "admin"
    assert client.get("/admin/", follow_redirects=False).status_code == 200
