"""Attachments: kept on disk under their id (never a name from outside), within a size limit.

Like recordings, a file is only ever found from its row: the id picks the
row, the row's id names the file inside the attachments directory.  A file
over the limit is not kept, but its row is (name, size, checksum, why), so
the message and its other files are never lost for it.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Attachment, Message

TOO_LARGE = "too_large"
CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
# Shown in the browser when opened; anything else is downloaded as bytes (a stored HTML file never runs).
SHOWN_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"})


class AttachmentRefused(Refusal):
    """A file a person tried to send that the centre will not keep."""


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel or a person gives it: its name and type are only hints."""

    filename: str
    content_type: str
    data: bytes


def clean_filename(name: str) -> str:
    """The last part of the name, without control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[-255:] or "attachment"


def clean_content_type(value: str) -> str:
    kind = value.split(";", 1)[0].strip().lower()
    return kind if CONTENT_TYPE.match(kind) else "application/octet-stream"


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes

    def refuse_too_large(self, files: list[IncomingFile]) -> None:
        """For what a person sends: name the first file over the limit, before anything is written."""
        for f in files:
            if len(f.data) > self.max_bytes:
                raise AttachmentRefused(N_("%(name)s is larger than the limit of %(limit)s bytes."),
                                        field="attachments", code=TOO_LARGE, name=clean_filename(f.filename),
                                        limit=f"{self.max_bytes:,}")

    def keep(self, session: Session, message: Message, incoming: IncomingFile) -> Attachment:
        """The file's row, and the file under its id; over the limit, only the row, marked refused."""
        row = Attachment(message_id=message.id, filename=clean_filename(incoming.filename),
                         content_type=clean_content_type(incoming.content_type), size_bytes=len(incoming.data),
                         sha256=hashlib.sha256(incoming.data).hexdigest())
        if len(incoming.data) > self.max_bytes:
            row.refused = TOO_LARGE
        session.add(row)
        session.flush()
        if row.refused is None:
            self._write(row.id, incoming.data)
        return row

    def _write(self, attachment_id: int, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.root / str(attachment_id))  # a reader never sees half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def file_for(self, attachment: Attachment) -> Path | None:
        """The file on disk, or None if it was refused or is gone."""
        path = self.root / str(int(attachment.id))
        return path if attachment.refused is None and path.is_file() else None

    def delete(self, attachments: list[Attachment]) -> int:
        """Remove the files (erasure); the count of files that were there."""
        gone = 0
        for attachment in attachments:
            path = self.root / str(int(attachment.id))
            if path.is_file():
                path.unlink()
                gone += 1
        return gone


def shown_type(attachment: Attachment) -> str:
    return attachment.content_type if attachment.content_type in SHOWN_TYPES else "application/octet-stream"


def of_ticket(session: Session, ticket_id: int, attachment_id: int) -> Attachment | None:
    """A file by id, only through its own ticket (another ticket's number never reaches it)."""
    return session.scalar(select(Attachment).join(Message, Message.id == Attachment.message_id)
                          .where(Attachment.id == attachment_id, Message.ticket_id == ticket_id))


def downloaded(session: Session, actor: Actor, attachment: Attachment, ticket_number: str | None) -> None:
    audit.record(session, "attachment_downloaded", actor, object_type="attachment", object_id=attachment.id,
                 ticket=ticket_number)
