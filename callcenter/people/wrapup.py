"""Wrap-up codes: the centre's own list of how a call ended (``resolved_first_call``) or why it needed no
ticket (``wrong_number``), in the order agents see them.  The desk reads ``listing``.

A code never changes once made (calls and reports store it); its labels
and kind do.  Retiring one takes it off the desk's lists and keeps it on
the calls that have it.  Positions are renumbered 0..n-1 on every move.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import WrapupCode, WrapupKind
from .changes import apply
from .texts import CODE, line


class WrapupError(Refusal):
    """A wrap-up code change refused, and why."""


def listing(session: Session, active_only: bool = False, kind: WrapupKind | None = None) -> list[WrapupCode]:
    """The codes in the agents' order; ``kind`` also takes the codes good for both kinds."""
    query = select(WrapupCode).order_by(WrapupCode.position, WrapupCode.id)
    if active_only:
        query = query.where(WrapupCode.is_active)
    if kind is not None:
        query = query.where(WrapupCode.kind.in_((kind, WrapupKind.BOTH)))
    return list(session.scalars(query))


def get_code(session: Session, code_id: int) -> WrapupCode:
    row = session.get(WrapupCode, code_id)
    if row is None:
        raise WrapupError(N_("There is no wrap-up code %(id)s."), field="code", code="not_found", id=code_id)
    return row


def by_code(session: Session, code: str) -> WrapupCode:
    row = session.scalar(select(WrapupCode).where(WrapupCode.code == code.strip().lower()))
    if row is None:
        raise WrapupError(N_("There is no wrap-up code %(value)s."), field="code", code="not_found",
                          value=code.strip()[:40])
    return row


def _kind(value: WrapupKind | str) -> WrapupKind:
    try:
        return WrapupKind(value)
    except ValueError:
        raise WrapupError(N_("A kind is ticket, no_ticket or both."), field="kind", code="bad_kind") from None


def _label(value: str | None, field: str, required: bool) -> str:
    text = line(value, 80, required)
    if text is None:
        raise WrapupError(N_("A label is 1-80 characters on one line.") if required else
                          N_("A Chinese label is at most 80 characters on one line."), field=field, code="bad_text")
    return text


def create_code(session: Session, code: str, label: str, actor: Actor, *, label_zh: str = "",
                kind: WrapupKind | str = WrapupKind.TICKET) -> WrapupCode:
    value = (code or "").strip().lower()
    if not CODE.match(value):
        raise WrapupError(N_("A code is a lower-case letter, then letters, digits or _ (at most 40), such as billing."),
                          field="code", code="bad_code")
    if session.scalar(select(WrapupCode.id).where(WrapupCode.code == value)) is not None:
        raise WrapupError(N_("There is already a wrap-up code %(value)s."), field="code", code="taken",
                          value=value)
    last = session.scalar(select(func.max(WrapupCode.position)))
    row = WrapupCode(code=value, label=_label(label, "label", True), label_zh=_label(label_zh, "label_zh", False),
                     kind=_kind(kind), position=(last + 1) if last is not None else 0, is_active=True)
    session.add(row)
    session.flush()
    audit.record(session, "wrapup_code_created", actor, object_type="wrapup_code", object_id=row.id, code=value,
                 kind=row.kind.value)
    return row


def edit_code(session: Session, code_id: int, actor: Actor, *, label: str | None = None,
              label_zh: str | None = None, kind: WrapupKind | str | None = None) -> WrapupCode:
    """Change the labels or the kind (None: leave it); old and new audited."""
    row = get_code(session, code_id)
    wanted: dict[str, object] = {}
    if label is not None:
        wanted["label"] = _label(label, "label", True)
    if label_zh is not None:
        wanted["label_zh"] = _label(label_zh, "label_zh", False)
    if kind is not None:
        wanted["kind"] = _kind(kind)
    changes = apply(row, wanted)
    if changes:
        audit.record(session, "wrapup_code_edited", actor, object_type="wrapup_code", object_id=row.id,
                     code=row.code, changes={k: {"old": str(getattr(c["old"], "value", c["old"])),
                                                 "new": str(getattr(c["new"], "value", c["new"]))}
                                             for k, c in changes.items()})
    return row


def set_active(session: Session, code_id: int, active: bool, actor: Actor) -> WrapupCode:
    """Retire (False) or restore (True) a code."""
    row = get_code(session, code_id)
    if row.is_active is not active:
        row.is_active = active
        audit.record(session, "wrapup_code_restored" if active else "wrapup_code_retired", actor,
                     object_type="wrapup_code", object_id=row.id, code=row.code)
    return row


def place(session: Session, code_id: int, position: int, actor: Actor) -> WrapupCode:
    """Move a code to ``position`` (0 = first; beyond the end = last); the others close up around it."""
    row = get_code(session, code_id)
    rows = [r for r in listing(session) if r.id != row.id]
    at = max(0, min(position, len(rows)))
    old = row.position
    rows.insert(at, row)
    for i, r in enumerate(rows):
        r.position = i
    if old != at:
        audit.record(session, "wrapup_code_moved", actor, object_type="wrapup_code", object_id=row.id,
                     code=row.code, old=old, new=at)
    return row
