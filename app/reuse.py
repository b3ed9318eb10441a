"""Reuse: a stored record served a new dossier, so the citizen did not hand
the document in again. This is the figure the ministries count."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.app.accounts import Principal
from sohoa.core.errors import InvalidRequest
from sohoa.storage.schema.accounts import ReuseAction, User

# Dossier codes as one-stop offices write them: letters, digits, - _ . /
_DOSSIER_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/-]{0,79}")


def record_reuse(
    session: Session, who: Principal, record_id: str, new_dossier_code: str
) -> ReuseAction:
    code = new_dossier_code.strip()
    if not _DOSSIER_CODE.fullmatch(code):
        raise InvalidRequest(
            f"{new_dossier_code!r} is not a dossier code: use letters, digits and - _ . / "
            "(at most 80 characters)."
        )
    action = ReuseAction(
        record_id=record_id, new_dossier_code=code, unit=who.unit, user_id=who.user_id
    )
    session.add(action)
    session.flush()
    return action


def reuses_of(session: Session, record_id: str) -> list[tuple[ReuseAction, str]]:
    """The record's reuses with the clerk's user name, newest first."""
    rows = session.execute(
        select(ReuseAction, User.username)
        .join(User, User.id == ReuseAction.user_id)
        .where(ReuseAction.record_id == record_id)
        .order_by(ReuseAction.at.desc(), ReuseAction.id.desc())
    )
    return [(action, username) for action, username in rows]
