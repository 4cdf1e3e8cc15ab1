"""Kiosk tokens and people for tests that open the app: the wall's tests open
/wall?kiosk=<token>, the /ops tests sign in."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from data_access.accounts import create_kiosk_token, create_user, find_user

PASSWORD = "test-password-1"
PEOPLE = {"duty": "duty_officer", "lead": "leader", "admin": "admin"}


def kiosk_token(sessions, label: str = "test wall") -> str:
    with sessions.begin() as session:
        return create_kiosk_token(session, label, datetime.now(UTC))[1]


def add_people(sessions) -> None:
    """duty (duty_officer), lead (leader) and admin (admin), all with PASSWORD."""
    with sessions.begin() as session:
        for username, role in PEOPLE.items():
            if find_user(session, username) is None:
                    create_user(session, username, f"{username}-name", role, PASSWORD,
                            datetime.now(UTC))


def sign_in(client, username: str, password: str = PASSWORD, origin: str = "http://localhost"):
    """Sign a Flask test client in through the /login form; returns the POST response."""
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf, "next": "/ops"},
                       headers={"Origin": origin})
