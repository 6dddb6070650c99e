"""Choosing, locking, staging and committing the folders the tool writes.

Every folder the tool writes carries a marker file, ``abm.json``, saying which tool wrote it, what kind of output it
holds, what produced it and (for a folder written whole) every file the tool wrote in it, with its size and SHA-256.
Nothing but the tool's own files is ever removed or replaced: a folder is replaced only when it is absent, empty, or
holds nothing but the files its marker lists, unchanged; a file the user added or changed (notes, an edited report)
makes the tool refuse, naming it, and touch nothing. The working folder and the project's ``results/`` folder itself
are never targets. A lock beside the target keeps two writers apart; a writer fills a hidden staging folder beside the
target and swaps it into place only when complete, so a failed, interrupted or killed run leaves the old content as it
was. Leftovers of a killed run (staging folders, old content moved aside, the lock file) are cleared by the next run
on the same target. A folder filled incrementally (a sweep, :func:`locked`) is only ever added to, never replaced.

Folders and files get the user's normal permissions (the umask decides).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from environment.settings import InputError

MARKER = "abm.json"
TOOL = "haimen-abm"
FORMAT = 2  # 2: the marker lists the files the tool wrote ("files")
RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
FILES = "files"  # the marker's list of the files the tool wrote: relative path -> {"bytes", "sha256"}
LOCK_FILE = Path(__file__).resolve().parent.parent / "requirements.lock"
RECORDED_PACKAGES = ("haimen-abm", "numpy", "pandas", "mesa")  # their installed versions go into every marker
_HEADER_KEYS = ("tool", "format", "kind", "created", "packages", FILES)
SHOWN_FILES = 5  # files named in a refusal at most


class OutputRefused(InputError):
    """The output folder cannot be written: the message names the path, why, and what to do."""


Say = Callable[[str], None]


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


# ------------------------------------------------------------------ marker
def strict_json(value: Any) -> str:
    """Strict JSON text of ``value``: non-finite floats become null, numpy scalars plain numbers, the rest ``str``."""
    return json.dumps(_finite(value), indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


@cache
def package_versions() -> dict[str, str | None]:
    """The software a result is made with: Python's version, the installed versions of ``RECORDED_PACKAGES``
    (None if one is not installed) and ``requirements.lock``'s SHA-256 (``sha256:…``; None without the file, as in
    an installed copy), which pins every other package."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    lock = LOCK_FILE.read_bytes() if LOCK_FILE.is_file() else None
    out["requirements.lock"] = None if lock is None else f"sha256:{hashlib.sha256(lock).hexdigest()}"
    return out


def make_marker(kind: str, identity: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The marker of a folder of ``kind`` output: tool, format, kind, creation time, the package versions
    (:func:`package_versions`), then the caller's identity."""
    identity = dict(identity or {})
    clash = sorted(set(identity) & set(_HEADER_KEYS))
    if clash:
        raise ValueError(f"identity may not set the marker's own fields {clash}")
    created = datetime.now().astimezone().isoformat(timespec="seconds")
    header = {"tool": TOOL, "format": FORMAT, "kind": kind, "created": created, "packages": package_versions()}
    return json.loads(strict_json(header | identity))


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker in ``folder`` if it is a valid marker of this tool, else None."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("tool") != TOOL or not isinstance(marker.get("kind"), str):
        return None
    return marker


def describe(marker: Mapping[str, Any]) -> str:
    """A short description of a marked folder, e.g. ``run of scenario plan, seed 1, scale 200, 2026-11-29 14:07``."""
    parts = [f"{marker['kind']} of scenario {marker['scenario']}" if "scenario" in marker else str(marker["kind"])]
    parts += [f"{key} {marker[key]}" for key in ("seed", "scale") if key in marker]
    parts += [str(marker["created"])[:16].replace("T", " ")] if "created" in marker else []
    return ", ".join(parts)


# ------------------------------------------------------------------ check
def check(
    out: str | Path,
    kind: str,
    identity: Mapping[str, Any] | None = None,
    *,
    replace: bool = False,
    incremental: bool = False,
) -> str | None:
    """Check that ``out`` may be written with ``kind`` output, before any work is done.

    ``incremental``: the writer adds to the folder (a sweep) instead of replacing it whole.

    Returns
    -------
    str or None
        A short description of the tool's output that would be replaced (or, ``incremental``, added to), or None
        when the folder is absent or empty.

    Raises
    ------
    OutputRefused
        When ``out`` is empty, the working folder or one of its ancestors, the project's results folder or one of its
        ancestors, anything but a folder, a non-empty folder without this tool's marker, or this tool's output of
        another kind or from another source (replaced with ``replace``, never when ``incremental``); and, unless
        ``incremental``, a folder holding anything but the files its marker lists, unchanged.
    """
    target = target_path(out)
    _refuse_protected(target)
    if not target.exists():
        return None
    if not target.is_dir():
        raise _refused(target, f"is {_what_it_is(target)}, not a folder", "choose another output folder")
    if not any(target.iterdir()):
        return None
    marker = read_marker(target)
    if marker is None:
        raise _refused(
            target,
            f"holds files this tool did not write (no valid {MARKER})",
            "choose a new or empty folder, or move those files away",
        )
    if incremental:
        reason = _other_output(marker, kind, identity)
        if reason:
            raise _refused(target, reason, "choose another output folder (this one is only ever added to)")
        return describe(marker)
    _refuse_foreign(target, marker)
    reason = None if replace else _other_output(marker, kind, identity)
    if reason:
        raise _refused(target, reason, "use --replace to overwrite it, or choose another output folder")
    return describe(marker)


def target_path(out: str | Path) -> Path:
    """The absolute path ``out`` stands for (symlinks followed); refuses an empty path."""
    if not str(out).strip():
        raise _refused(out, "is an empty path", "name an output folder")
    return Path(out).expanduser().resolve()


def _refuse_protected(target: Path) -> None:
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise _refused(target, "is the current folder or contains it", "name a new subfolder for the output")
    results = RESULTS_DIR.resolve()
    if target == results or target in results.parents:
        raise _refused(
            target, "is the project's results folder or contains it", f"name a subfolder such as {results}/<name>"
        )


def _other_output(marker: Mapping[str, Any], kind: str, identity: Mapping[str, Any] | None) -> str | None:
    """Why a marked folder holds other output than ``kind`` from ``identity``'s source, or None if it does not."""
    if marker.get("kind") != kind:
        return f"holds this tool's {marker.get('kind')} output, not {kind} output"
    source = _finite((identity or {}).get("source"))
    if source is not None and marker.get("source") != source:
        return f"holds results of {marker.get('source')}, not of {source}"
    return None


def _refuse_foreign(folder: Path, marker: Mapping[str, Any] | None, shown_as: Path | None = None) -> None:
    """Refuse to replace ``folder`` unless it holds only the files its ``marker`` lists, unchanged (or nothing)."""
    shown_as = shown_as or folder
    if marker is None:
        if any(folder.iterdir()):
            raise _refused(shown_as, f"holds files this tool did not write (no valid {MARKER})", "move them away")
        return
    if not isinstance(marker.get(FILES), dict):
        raise _refused(
            shown_as,
            f"holds this tool's {marker.get('kind')} output, but its {MARKER} does not list the files the tool "
            "wrote (a sweep's folder, or one written by an earlier version), so files of yours in it cannot be told "
            "from the tool's and none of it is replaced",
            "choose another output folder, or move that one away",
        )
    foreign = foreign_files(folder, marker[FILES])
    if foreign:
        more = f" and {len(foreign) - SHOWN_FILES} more" if len(foreign) > SHOWN_FILES else ""
        raise _refused(
            shown_as,
            f"holds files this tool did not write or that were changed since: {', '.join(foreign[:SHOWN_FILES])}"
            f"{more}; only the tool's own files are ever replaced",
            "move those files out of it, or choose another output folder",
        )


def inventory(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder`` but the marker: relative POSIX path -> ``{"bytes": size, "sha256": hex}``."""
    return {
        path.relative_to(folder).as_posix(): _fingerprint(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path != folder / MARKER
    }


def foreign_files(folder: Path, files: Mapping[str, Any]) -> list[str]:
    """What ``folder`` holds beyond ``files`` (as :func:`inventory` gives them) and the marker: relative paths of
    files not listed (a folder: ``name/``) and of listed files since changed (``name (changed)``)."""
    folders = {parent.as_posix() for name in files for parent in Path(name).parents}
    found = []
    for root, subfolders, names in os.walk(folder):
        here = Path(root).relative_to(folder)
        for name in sorted(names):
            relative, path = (here / name).as_posix(), Path(root) / name
            if relative == MARKER:
                continue
            listed = files.get(relative)
            if listed is None:
                found.append(relative)
            elif path.is_symlink() or not path.is_file() or _fingerprint(path) != listed:
                found.append(f"{relative} (changed)")
        for name in sorted(subfolders):
            relative = (here / name).as_posix()
            if relative not in folders or (Path(root) / name).is_symlink():
                found.append(f"{relative}/")
        subfolders[:] = [n for n in subfolders if (here / n).as_posix() in folders]
    return found


def _fingerprint(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def _refused(target: str | Path, why: str, what_to_do: str) -> OutputRefused:
    return OutputRefused(f"{str(target)!r} {why}; {what_to_do}".replace("\n", " "))


def _what_it_is(path: Path) -> str:
    mode = path.stat().st_mode
    kinds = {
        stat.S_ISREG: "a file",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "something else")


# ------------------------------------------------------------------ lock
def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.abm-lock"


@contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for ``target`` (a lock file beside it holding our PID); remove the file on release."""
    path, fd = _lock_path(target), None
    try:  # an interrupt just after the lock is taken still removes its file
        fd = _acquire(path, target)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        if fd is not None:
            path.unlink(missing_ok=True)
            os.close(fd)


def _acquire(path: Path, target: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise _refused(
                target, f"is being written by process {holder}", "wait for it to finish or choose another folder"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if _still_at(fd, path):
            return fd
        os.close(fd)  # the previous holder removed this lock file while we waited: lock the current one


def _still_at(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


# ------------------------------------------------------------------ staging and leftovers
def _sibling(target: Path, role: str) -> Path:
    """A fresh hidden name beside ``target`` in this tool's pattern, e.g. ``.plan.abm-staging-<pid>-<hex>``."""
    return target.parent / f".{target.name}.abm-{role}-{os.getpid()}-{secrets.token_hex(8)}"


def _leftovers(target: Path) -> list[Path]:
    """Staging and old folders of earlier runs on ``target`` (only names in this tool's pattern), oldest first."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.abm-(staging|old)-\d+-[0-9a-f]{{16}}")
    found = [p for p in target.parent.iterdir() if pattern.fullmatch(p.name)]
    return sorted(found, key=lambda p: p.lstat().st_mtime_ns)


def _clear_leftovers(target: Path) -> None:
    """Remove what killed runs on ``target`` left; if one was killed mid-swap, first put the old content back."""
    leftovers = _leftovers(target)
    olds = [p for p in leftovers if ".abm-old-" in p.name]
    if olds and not os.path.lexists(target):
        os.replace(olds[-1], target)
        leftovers.remove(olds[-1])
    for path in leftovers:
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``; existing content is moved aside first and deleted once the new is in place.

    The content moved aside is checked again (a file the user added while the tool ran): if it holds anything but
    the tool's own files it is put back and :class:`OutputRefused` raised.
    """
    if not os.path.lexists(target):
        os.replace(staging, target)
        _fsync_folder(target.parent)
        return
    old = _sibling(target, "old")
    os.replace(target, old)
    try:
        _refuse_foreign(old, read_marker(old), shown_as=target)
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)
        raise
    _fsync_folder(target.parent)
    _remove(old)


def _write_marker(folder: Path, kind: str, identity: Mapping[str, Any] | None, files: bool = True) -> None:
    """Write the marker into ``folder``; ``files``: with the list of the files it holds (a folder written whole)."""
    listed = {FILES: inventory(folder)} if files else {}
    write_text_atomic(folder / MARKER, strict_json(make_marker(kind, identity) | listed))


@contextmanager
def staged(
    out: str | Path,
    kind: str,
    identity: Mapping[str, Any] | None = None,
    *,
    replace: bool = False,
    say: Say | None = None,
) -> Iterator[Path]:
    """Yield a fresh staging folder for ``out``; on normal exit mark it and swap it into place.

    The target is checked (see :func:`check`) and locked, leftovers of killed runs on it are cleared and the staging
    folder is created before the caller's work, so refusals and read-only or full disks surface first. On any
    exception the staging folder is removed and the old content left as it was. The marker lists every file written
    (so a later replacement can tell them from the user's). ``say`` (default: print to stderr)
    gets one line when earlier output was replaced. ``identity`` is written into the marker when the folder is
    committed, so fields the caller adds to it inside the block (the run's duration, say) are recorded too.

    Raises
    ------
    OutputRefused
        As :func:`check`, or when another process is writing ``out``, or when the user added a file to the old
        content while the caller worked.
    OSError
        When the lock file or staging folder cannot be created (read-only, no permission, disk full).
    """
    with _claimed(out, kind, identity, replace=replace) as (target, was):
        staging = _sibling(target, "staging")
        try:  # created inside the try: an interrupt right after the mkdir still removes it
            _new_empty_folder(staging)
            yield staging
            _write_marker(staging, kind, identity)
            _swap_into_place(staging, target)
        except BaseException:
            _remove(staging)
            raise
    if was is not None:
        (say or _to_stderr)(f"replaced {target}: was {was}")


@contextmanager
def locked(out: str | Path, kind: str, identity: Mapping[str, Any] | None = None) -> Iterator[Path]:
    """Yield ``out`` itself, locked, for a writer that fills it incrementally (and may resume it).

    Same checks (``incremental``: nothing in it is replaced, so the user's files may stay) and lock as
    :func:`staged`. The folder and its marker are created if absent; this tool's output of the same kind and source
    is kept (resumed); output of another kind or source is refused.
    """
    with _claimed(out, kind, identity, incremental=True) as (target, _):
        target.mkdir(exist_ok=True)
        if read_marker(target) is None:
            _write_marker(target, kind, identity, files=False)
        yield target


@contextmanager
def _claimed(
    out: str | Path, kind: str, identity: Mapping[str, Any] | None, **how: bool
) -> Iterator[tuple[Path, str | None]]:
    """The target checked, locked and cleared of killed runs' leftovers: (target, what it holds now or None).

    Checked before taking the lock (a refusal needs no lock) and again under it (another process may have written);
    ``how``: :func:`check`'s ``replace`` and ``incremental``.
    """
    target = target_path(out)
    check(target, kind, identity, **how)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        _clear_leftovers(target)
        yield target, check(target, kind, identity, **how)


def _new_empty_folder(staging: Path) -> None:
    staging.mkdir()


# ------------------------------------------------------------------ single files
def write_file_atomic(path: str | Path, write: Callable[[Path], None], *, new: bool = False) -> Path:
    """Replace ``path`` by what ``write(temporary)`` writes to a temporary file beside it, fsynced, then renamed.

    The temporary file keeps ``path``'s suffix (writers such as matplotlib read it) except ``.parquet``, so a folder's
    table glob never sees a half-written file. On failure the old file is left as it was and the temporary removed.
    The mode follows the umask. ``new``: ``path`` must not exist (checked again as it is linked into place), else
    :class:`OutputRefused` and nothing written.
    """
    if new and os.path.lexists(path):
        raise _refused(path, "already exists", "choose another name, or move that file away")
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".tmp" if path.suffix == ".parquet" else path.suffix
    temporary = path.parent / f".{path.name}.abm-tmp-{os.getpid()}-{secrets.token_hex(8)}{suffix}"
    try:  # created inside the try: an interrupt right after its creation still removes it
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
        write(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        if new:
            _link_new(temporary, path)
        else:
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _link_new(temporary: Path, path: Path) -> None:
    """Give ``temporary`` the name ``path`` only if nothing has it (a hard link cannot replace), then drop its own."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise _refused(path, "already exists", "choose another name, or move that file away") from None
    temporary.unlink()


def write_bytes_atomic(path: str | Path, data: bytes, *, new: bool = False) -> Path:
    """:func:`write_file_atomic` for bytes."""
    return write_file_atomic(path, lambda temporary: temporary.write_bytes(data), new=new)


def write_text_atomic(path: str | Path, text: str, *, new: bool = False) -> Path:
    """:func:`write_bytes_atomic` for UTF-8 text."""
    return write_bytes_atomic(path, text.encode("utf-8"), new=new)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (skipped where the file system cannot fsync folders)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
