"""Datasets uploaded as a zip of SPEC §3 files: received with limits, unpacked safely,
validated and (once confirmed) loaded by background jobs that record their progress on the
import batch.

Unpacking refuses anything that could write outside the batch's folder or fill the disk:
absolute or `..` paths, symbolic links, encrypted entries, names that are not SPEC files,
too many entries, and entries that inflate beyond the limits (checked while inflating, since
a zip's declared sizes can lie).
"""

from __future__ import annotations

import logging
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import polars as pl
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.config import get_settings
from povguard.core.errors import BadInput, Conflict, Forbidden, PovguardError
from povguard.ingest import batches
from povguard.ingest.models import ImportBatch
from povguard.ingest.service import ImportRejected, Progress, import_dataset
from povguard.interchange.spec import FILES, POLICY_FILE

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_ENTRIES = 64
MAX_RATIO = 200  # inflated / compressed size of one entry; CSV stays far below
CHUNK = 1024 * 1024
ALLOWED = frozenset(
    [f"{name}{suffix}" for name in FILES for suffix in (".csv", ".parquet")] + [POLICY_FILE]
)
IGNORED = ("__MACOSX/", ".DS_Store")
ERRORS_CSV = "errors.csv"


def batch_folder(lake: Path, batch_id: str) -> Path:
    """Where an uploaded batch is kept (next to the lake, never inside it)."""
    return lake.parent / "uploads" / batch_id


def save_upload(source: BinaryIO, target: Path, limit: int = MAX_UPLOAD_BYTES) -> None:
    """Copy an upload stream to `target`, refusing one larger than `limit` bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise BadInput(f"the upload is larger than {limit // (1024 * 1024)} MB",
                               field="file")  # fmt: skip
            out.write(chunk)


def _dataset_name(info: zipfile.ZipInfo, root: str) -> str | None:
    """The entry's path inside the dataset, None for an entry to skip; refuses unsafe ones."""
    name = info.filename
    if name.startswith(IGNORED) or name.endswith(IGNORED[1]) or info.is_dir():
        return None
    path = PurePosixPath(name)
    if "\\" in name or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        raise BadInput(f"unsafe path in the zip: {name!r}", field="file")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise BadInput(f"symbolic link in the zip: {name!r}", field="file")
    if info.flag_bits & 0x1:
        raise BadInput(f"encrypted entry in the zip: {name!r}", field="file")
    inside = name[len(root) :] if root else name
    if inside not in ALLOWED:
        raise BadInput(f"{name!r} is not a SPEC §3 file (households.csv, feeds/medical.csv, …)",
                       field="file")  # fmt: skip
    return inside


def _common_root(names: list[str]) -> str:
    """A single top folder holding everything (zips made from a folder have one), or ''.
    `feeds/` itself is no wrapper: a zip of department feeds only is a dataset as it is."""
    files = [n for n in names if not n.startswith(IGNORED) and not n.endswith("/")]
    tops = {n.split("/", 1)[0] for n in files}
    if len(tops) == 1 and not all(n in ALLOWED for n in files):
        top = tops.pop()
        if all(n.startswith(f"{top}/") for n in files):
            return f"{top}/"
    return ""


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Write one entry, stopping as soon as it outgrows its ratio or the remaining budget."""
    limit = min(budget, max(info.compress_size, 1) * MAX_RATIO)
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise BadInput(f"{info.filename!r} inflates too much (a zip bomb?)", field="file")
            out.write(chunk)
    return written


def unpack(archive_path: Path, target: Path) -> list[str]:
    """Unpack a dataset zip into `target` safely; returns the dataset files found."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput("the upload is not a zip file", field="file") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise BadInput(f"the zip holds {len(infos)} entries (at most {MAX_ENTRIES})",
                           field="file")  # fmt: skip
        root = _common_root([i.filename for i in infos])
        planned = [(info, _dataset_name(info, root)) for info in infos]
        files = [(info, inside) for info, inside in planned if inside is not None]
        if not files:
            raise BadInput("the zip holds no SPEC §3 file", field="file")
        budget = MAX_UNPACKED_BYTES
        try:
            for info, inside in files:
                budget -= _inflate(archive, info, target / inside, budget)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BadInput(f"the zip is damaged: {exc}", field="file") from exc
    return sorted(inside for _, inside in files)


def accept(session: Session, principal: Principal, upload: BinaryIO, filename: str,
           *, lake: Path) -> ImportBatch:  # fmt: skip
    """Receive and unpack an upload into a new batch (state `validating`; start the job)."""
    if principal.role not in batches.IMPORTERS:
        raise Forbidden(f"role {principal.role} may not import data")
    batch = batches.create(session, principal, source=filename or "upload.zip")
    folder = batch_folder(lake, batch.id)
    try:
        save_upload(upload, folder / "upload.zip")
        unpack(folder / "upload.zip", folder / "data")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return batch


def confirm(session: Session, principal: Principal, batch_id: str) -> ImportBatch:
    """Mark a validated batch for loading (once: a second confirm is a conflict)."""
    batch = batches.get(session, principal, batch_id)
    if batch.status != "validated":
        raise Conflict(f"import batch {batch_id} is {batch.status}; only a validated one loads")
    batch.status = "loading"
    batch.progress = 0.0
    session.flush()
    return batch


def _progress_recorder(database_url: str | None, batch_id: str, *, load: bool) -> Progress:
    """Stores the job's progress on the batch. Only validation is followed on SQLite: the
    lake and registry are written inside the import's transaction, which holds SQLite's one
    write lock (PostgreSQL updates the batch row beside it)."""
    sqlite = (database_url or get_settings().database_url).startswith("sqlite")
    spans = {"validate": (0.0, 0.5 if load else 0.95), "load": (0.5, 0.95)}

    def record(phase: str, _name: str, done: int, total: int) -> None:
        if phase not in spans or (phase != "validate" and (sqlite or not load)):
            return
        start, end = spans[phase]
        share = done / total if total else 1.0
        batches.update(database_url, batch_id, progress=round(start + share * (end - start), 3))

    return record


def run_job(batch_id: str, actor: Principal, *, lake: Path, database_url: str | None,
            load: bool) -> None:  # fmt: skip
    """The background job: validate (or validate and load) an uploaded batch. Its outcome
    is stored on the batch, and the bad rows in the batch folder's errors CSV."""
    folder = batch_folder(lake, batch_id)
    data = folder / "data"
    try:
        import_dataset(
            data, lake=lake, database_url=database_url, check_only=not load, actor=actor,
            progress=_progress_recorder(database_url, batch_id, load=load), batch_id=batch_id,
        )  # fmt: skip
    except ImportRejected as exc:
        prefix = f"{data}/"
        exc.errors.with_columns(pl.col("file").str.strip_prefix(prefix)).write_csv(
            folder / ERRORS_CSV
        )
    except PovguardError as exc:
        logger.warning("import batch %s failed: %s", batch_id, exc)


def errors_file(session: Session, principal: Principal, batch_id: str, *, lake: Path) -> Path:
    """The batch's bad rows as CSV (file, line, column, value, reason); empty when none."""
    batch = batches.get(session, principal, batch_id)
    return batch_folder(lake, batch.id) / ERRORS_CSV


def bad_rows(path: Path, limit: int = 200) -> tuple[list[dict[str, object]], dict[str, int]]:
    """The first `limit` bad rows and the number of bad rows per dataset file (by its SPEC
    name: `households`, `feeds/medical`, `policy.yaml`)."""
    if not path.exists():
        return [], {}
    frame = pl.read_csv(path, schema_overrides={"line": pl.Int64}, infer_schema=False)
    name = pl.col("file").str.replace(r"\.(csv|parquet)$", "")
    per_file = frame.group_by(name).len().sort("file").iter_rows()
    return frame.head(limit).to_dicts(), {str(k): int(v) for k, v in per_file}
