"""Files attached to procedure steps (signed authorisations, visit photos, notices), kept in a
content-addressed store: the SHA-256 of the bytes is the file's name and its id.

Only PDF, PNG and JPEG files up to 10 MiB are accepted; the type is read from the file's own
first bytes, never trusted from the upload.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel

from povguard.core.errors import BadInput, NotFound

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
ATTACHMENT_ID = re.compile(r"^[0-9a-f]{64}$")


class AttachmentRead(BaseModel):
    id: str  # the SHA-256 of the content
    size: int
    type: str


def store_for(lake: Path) -> Path:
    """The attachment store of a deployment: beside its lake."""
    return lake.parent / "attachments"


def _path(store: Path, attachment_id: str) -> Path:
    return store / attachment_id[:2] / attachment_id


def detect_type(content: bytes) -> str:
    for media_type, signature in SIGNATURES.items():
        if content.startswith(signature):
            return media_type
    raise BadInput("attachments must be PDF, PNG or JPEG files", field="file")


def save(store: Path, content: bytes) -> AttachmentRead:
    """Keep `content` (once: the same bytes get the same id) and describe it."""
    if not content:
        raise BadInput("the attachment is empty", field="file")
    if len(content) > MAX_BYTES:
        raise BadInput(f"attachments are limited to {MAX_BYTES // 2**20} MiB", field="file")
    media_type = detect_type(content)
    attachment_id = hashlib.sha256(content).hexdigest()
    target = _path(store, attachment_id)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    return AttachmentRead(id=attachment_id, size=len(content), type=media_type)


def read(store: Path, attachment_id: str) -> tuple[bytes, str]:
    """The stored bytes of `attachment_id` and their media type (NotFound when not stored)."""
    path = _path(store, attachment_id) if ATTACHMENT_ID.match(attachment_id) else None
    if path is None or not path.is_file():
        raise NotFound(f"attachment {attachment_id} not found")
    content = path.read_bytes()
    return content, detect_type(content)


def check_known(store: Path, attachment_ids: list[str]) -> None:
    """Every id must name a stored attachment (uploaded before the step refers to it)."""
    for attachment_id in attachment_ids:
        if not ATTACHMENT_ID.match(attachment_id) or not _path(store, attachment_id).exists():
            raise BadInput(f"unknown attachment {attachment_id!r}; upload it first",
                           field="attachments")  # fmt: skip
