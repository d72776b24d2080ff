"""Writing an output pack (a week's reports, a case library, a topic report) whole or not at all.

A pack is written into a temporary folder beside its target and moved into place at the end, so a failed
write (an impossible --out, a full disk) leaves the previous pack as it was and no cut pages. Entries of the
target folder the pack does not own (the case library inside a week's folder, a user's own files) are moved
over into the new folder, so replacing one pack never deletes another.
"""
from __future__ import annotations

import errno
import gc
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from qc_pipeline.errors import UserError
from qc_pipeline.ingest.discover import MARKER_TEXT, OUTPUT_MARKER

try:  # the workbook writer wraps the OSError of a failed save in its own exception
    from xlsxwriter.exceptions import FileCreateError
except ImportError:  # pragma: no cover - xlsxwriter is a dependency
    FileCreateError = OSError

WRITE_ERRORS = (OSError, FileCreateError)


def write_error(target: Path, exc: BaseException) -> UserError:
    """The one line a user sees when ``target`` cannot be written."""
    inner = exc.args[0] if isinstance(exc, FileCreateError) and exc.args else exc
    if isinstance(inner, OSError):
        reason = inner.strerror or errno.errorcode.get(inner.errno or 0, "") or str(inner)
        where = inner.filename or target
    else:
        reason, where = str(inner), target
    return UserError(f"{target}: cannot write the reports here ({reason}: {where}); the previous files are unchanged")


@contextmanager
def staged_folder(target: Path, owns: Callable[[str], bool]) -> Iterator[Path]:
    """Yield an empty folder to write the pack into; on success it replaces ``target``.

    ``owns(name)`` says whether an entry of the old ``target`` belongs to this pack (and is replaced) or to
    something else (and is kept). Any write error, here or inside the block, becomes one UserError."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".writing", dir=target.parent))
        stage.chmod(0o777 & ~_umask())  # mkdtemp's 0700 would hide the pack from the other readers of --out
    except WRITE_ERRORS as exc:
        raise write_error(target, exc) from None
    try:
        yield stage
        # Marks the pack as chat-qc's output: ingest skips it when it lies inside an input folder.
        (stage / OUTPUT_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        _carry_over(target, stage, owns)
        _swap(target, stage)
    except WRITE_ERRORS as exc:
        error = write_error(target, exc)
        _release(exc)
        shutil.rmtree(stage, ignore_errors=True)
        raise error from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _release(exc: BaseException) -> None:
    """Free the frames of a failed write now, quietly: a half-written workbook's zip file, closed again when
    collected, would print its own "Exception ignored" traceback after the one-line error."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        exc.__traceback__ = None
        if exc.__context__ is not None:
            exc.__context__.__traceback__ = None
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _carry_over(target: Path, stage: Path, owns: Callable[[str], bool]) -> None:
    if not target.is_dir():
        return
    moved: list[str] = []
    try:
        for entry in sorted(os.listdir(target)):
            if not owns(entry) and not (stage / entry).exists():
                os.rename(target / entry, stage / entry)
                moved.append(entry)
    except OSError:
        for entry in moved:  # put back what was moved: the old pack stays whole
            os.rename(stage / entry, target / entry)
        raise


def _swap(target: Path, stage: Path) -> None:
    if not target.exists():
        os.rename(stage, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_file(path: Path, data: bytes) -> Path:
    """One file written beside its final name and renamed over it: never left cut."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.writing")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    return path


def is_staging(name: str) -> bool:
    """A temporary folder or file of an unfinished write (left only by a killed process)."""
    return name.startswith(".") and (name.endswith(".writing") or name.endswith(".old"))
