"""Output folders never lose data: what may be written where, locking, staging, leftovers, permissions, failures."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from experiments.output_folders import (
    MARKER,
    RESULTS_DIR,
    OutputRefused,
    check,
    locked,
    read_marker,
    staged,
    write_text_atomic,
)
from experiments.store import write_atomically

ROOT = Path(__file__).resolve().parent.parent
PLAN = {"scenario": "plan", "source": "plan.toml", "seed": 1, "scale": 200}


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _write_new(folder: Path) -> None:
    (folder / "new.txt").write_text("new")


def _earlier_output(out: Path, identity: dict | None = None, kind: str = "run") -> None:
    with staged(out, kind, identity or PLAN, say=lambda line: None) as folder:
        (folder / "old.txt").write_text("old results")


def _fill_must_not_run(folder: Path) -> None:
    raise AssertionError("the fill ran although the target could not be written")


# ------------------------------------------------------------------ refused targets
def test_a_file_is_refused_and_left_intact(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("the user's file")
    with pytest.raises(OutputRefused, match="is a file, not a folder"):
        write_atomically(target, _fill_must_not_run)
    assert target.read_text() == "the user's file"
    assert _listing(tmp_path) == {"report.txt"}


def test_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OutputRefused, match="named pipe"):
        write_atomically(tmp_path / "pipe", _fill_must_not_run)
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)


def test_a_foreign_folder_is_refused_and_left_intact(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my notes")
    with pytest.raises(OutputRefused, match=f"did not write \\(no valid {MARKER}\\)") as refused:
        write_atomically(target, _fill_must_not_run)
    assert "\n" not in str(refused.value) and str(target) in str(refused.value)
    assert _listing(target) == {"notes.txt"}
    assert (target / "notes.txt").read_text() == "my notes"
    assert _listing(tmp_path) == {"mine"}


@pytest.mark.parametrize(
    ("name", "out"),
    [
        ("empty path", lambda cwd: ""),
        ("dot", lambda cwd: "."),
        ("cwd", lambda cwd: cwd),
        ("ancestor of cwd", lambda cwd: cwd.parent),
        ("results folder", lambda cwd: RESULTS_DIR),
        ("repository root", lambda cwd: ROOT),
        ("root", lambda cwd: "/"),
    ],
)
def test_protected_folders_are_refused(tmp_path, monkeypatch, name, out):
    cwd = tmp_path / "work" / "here"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    before = {p: _listing(p) for p in (cwd, RESULTS_DIR, ROOT)}
    with pytest.raises(OutputRefused):
        write_atomically(out(cwd), _fill_must_not_run)
    assert {p: _listing(p) for p in before} == before


def test_a_device_is_refused_and_left_intact():
    with pytest.raises(OutputRefused, match="character device"):
        write_atomically(Path("/dev/null"), _fill_must_not_run)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not Path("/dev/.null.abm-lock").exists()


# ------------------------------------------------------------------ allowed targets
def test_an_absent_or_empty_target_is_written_with_a_marker(tmp_path):
    (tmp_path / "empty").mkdir()
    for name in ("absent", "empty"):
        said: list[str] = []
        write_atomically(tmp_path / name, _write_new, kind="run", identity=PLAN, say=said.append)
        assert _listing(tmp_path / name) == {"new.txt", MARKER}
        assert said == []
    assert _listing(tmp_path) == {"absent", "empty"}


def test_earlier_output_is_replaced_and_one_line_said(tmp_path):
    out = tmp_path / "plan"
    _earlier_output(out)
    created = read_marker(out)["created"][:16].replace("T", " ")
    said: list[str] = []
    write_atomically(out, _write_new, kind="run", identity=PLAN | {"seed": 2}, say=said.append)
    assert said == [f"replaced {out}: was run of scenario plan, seed 1, scale 200, {created}"]
    assert _listing(out) == {"new.txt", MARKER}
    assert read_marker(out)["seed"] == 2
    assert _listing(tmp_path) == {"plan"}


def test_check_describes_what_would_be_replaced_without_writing(tmp_path):
    out = tmp_path / "plan"
    assert check(out, "run", PLAN) is None
    _earlier_output(out)
    assert check(out, "run", PLAN).startswith("run of scenario plan, seed 1, scale 200, ")
    assert _listing(out) == {"old.txt", MARKER}


@pytest.mark.parametrize(
    ("kind", "identity", "why"),
    [
        ("run", PLAN | {"source": "other.toml"}, "holds results of plan.toml, not of other.toml"),
        ("attribution", PLAN, "holds this tool's run output, not attribution output"),
    ],
)
def test_other_output_is_refused_unless_replace(tmp_path, kind, identity, why):
    out = tmp_path / "plan"
    _earlier_output(out)
    with pytest.raises(OutputRefused, match=why + "; use --replace"):
        write_atomically(out, _fill_must_not_run, kind=kind, identity=identity)
    assert _listing(out) == {"old.txt", MARKER}
    said: list[str] = []
    write_atomically(out, _write_new, kind=kind, identity=identity, replace=True, say=said.append)
    assert _listing(out) == {"new.txt", MARKER}
    assert len(said) == 1


# ------------------------------------------------------------------ the user's own files
def test_the_marker_lists_every_file_the_tool_wrote(tmp_path):
    out = tmp_path / "plan"

    def fill(folder: Path) -> None:
        (folder / "plots").mkdir()
        (folder / "plots" / "a.png").write_bytes(b"png")
        (folder / "table.csv").write_text("x\n1\n")

    write_atomically(out, fill, kind="run", identity=PLAN)
    files = read_marker(out)["files"]
    assert sorted(files) == ["plots/a.png", "table.csv"]
    assert files["table.csv"]["bytes"] == 4 and len(files["table.csv"]["sha256"]) == 64


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda out: (out / "notes.txt").write_text("hi"), "notes.txt"),
        (lambda out: (out / "mine").mkdir(), "mine/"),
        (lambda out: (out / "old.txt").write_text("edited by the user"), "old.txt (changed)"),
        (lambda out: (out / "old.txt").unlink() or (out / "old.txt").symlink_to("/etc/hostname"), "old.txt (changed)"),
    ],
    ids=["a new file", "a new folder", "a changed file", "a file replaced by a link"],
)
@pytest.mark.parametrize("replace", [False, True])
def test_a_folder_holding_the_users_files_is_refused_naming_them(tmp_path, change, named, replace):
    out = tmp_path / "plan"
    _earlier_output(out)
    change(out)
    before = {p.name: (p.is_symlink(), p.is_file() and p.read_bytes()) for p in out.iterdir()}
    with pytest.raises(OutputRefused) as refused:
        write_atomically(out, _fill_must_not_run, kind="run", identity=PLAN, replace=replace)
    assert named in str(refused.value) and str(out) in str(refused.value) and "\n" not in str(refused.value)
    assert {p.name: (p.is_symlink(), p.is_file() and p.read_bytes()) for p in out.iterdir()} == before
    assert _listing(tmp_path) == {"plan"}


def test_a_file_the_user_adds_while_the_tool_runs_is_kept(tmp_path):
    out = tmp_path / "plan"
    _earlier_output(out)

    def fill(folder: Path) -> None:
        (folder / "new.txt").write_text("new")
        (out / "notes.txt").write_text("written meanwhile")

    with pytest.raises(OutputRefused, match=re.escape("notes.txt")):
        write_atomically(out, fill, kind="run", identity=PLAN)
    assert _listing(out) == {"old.txt", "notes.txt", MARKER}
    assert _listing(tmp_path) == {"plan"}


def test_many_foreign_files_are_counted_not_all_named(tmp_path):
    out = tmp_path / "plan"
    _earlier_output(out)
    for i in range(8):
        (out / f"note{i}.txt").write_text("mine")
    with pytest.raises(OutputRefused, match=re.escape("note4.txt and 3 more")):
        check(out, "run", PLAN)


def test_a_marker_without_a_file_list_is_never_replaced(tmp_path):
    out = tmp_path / "plan"
    _earlier_output(out)
    marker = read_marker(out)
    del marker["files"]
    (out / MARKER).write_text(json.dumps(marker))
    with pytest.raises(OutputRefused, match="does not list the files"):
        write_atomically(out, _fill_must_not_run, kind="run", identity=PLAN, replace=True)
    assert _listing(out) == {"old.txt", MARKER}


# ------------------------------------------------------------------ lock and killed runs
HOLDER = """
import sys, time
from pathlib import Path
from experiments.output_folders import staged
out, ready = Path(sys.argv[1]), Path(sys.argv[2])
with staged(out, "run", {"scenario": "plan", "source": "plan.toml"}) as folder:
    (folder / "half.txt").write_text("half written")
    ready.write_text("ready")
    time.sleep(60)
"""

KILLED_MID_SWAP = """
import os, signal, sys
from pathlib import Path
from experiments.output_folders import staged
out = Path(sys.argv[1]).resolve()
real_replace = os.replace
def replace(source, target):
    if Path(target) == out:  # old content moved aside, new not yet in place
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(source, target)
os.replace = replace
with staged(out, "run", {"scenario": "plan", "source": "plan.toml"}) as folder:
    (folder / "new.txt").write_text("new")
"""


@contextmanager
def _child(code: str, out: Path, ready: Path | None = None) -> Iterator[subprocess.Popen]:
    """Run ``code`` in a subprocess (argv: out, ready); wait until it writes ``ready``; kill it at the end."""
    args = [sys.executable, "-c", textwrap.dedent(code), str(out), str(ready or out.parent / "unused")]
    child = subprocess.Popen(args, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 30
        while ready is not None and not ready.exists():
            assert child.poll() is None, "the child process ended early"
            assert time.monotonic() < deadline, "the child process did not get ready"
            time.sleep(0.02)
        yield child
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_a_target_being_written_by_another_process_is_refused(tmp_path):
    out = tmp_path / "runs" / "plan"
    out.parent.mkdir()
    _earlier_output(out)
    with _child(HOLDER, out, tmp_path / "ready") as child, pytest.raises(OutputRefused) as refused:
        write_atomically(out, _fill_must_not_run, kind="run", identity=PLAN)
    assert f"is being written by process {child.pid}" in str(refused.value)
    assert _listing(out) == {"old.txt", MARKER}


def test_a_killed_run_leaves_the_old_content_and_the_next_run_clears_its_leftovers(tmp_path):
    out = tmp_path / "runs" / "plan"
    out.parent.mkdir()
    _earlier_output(out)
    with _child(HOLDER, out, tmp_path / "ready") as child:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    leftovers = _listing(out.parent) - {"plan"}
    assert ".plan.abm-lock" in leftovers and any(".plan.abm-staging-" in name for name in leftovers)
    neighbours = {"notes.txt", ".plan.abm-staging-mine"}  # not in the tool's naming pattern: never removed
    for name in neighbours:
        (out.parent / name).write_text("not ours")
    assert _listing(out) == {"old.txt", MARKER}
    write_atomically(out, _write_new, kind="run", identity=PLAN, say=lambda line: None)
    assert _listing(out) == {"new.txt", MARKER}
    assert _listing(out.parent) == {"plan", *neighbours}


def test_a_run_killed_mid_swap_gets_its_old_content_back(tmp_path):
    out = tmp_path / "runs" / "plan"
    out.parent.mkdir()
    _earlier_output(out)
    with _child(KILLED_MID_SWAP, out) as child:
        assert child.wait() == -signal.SIGKILL
    assert not out.exists()
    with pytest.raises(RuntimeError, match="midway"), staged(out, "run", PLAN):
        raise RuntimeError("failed midway")
    assert _listing(out) == {"old.txt", MARKER}
    assert _listing(out.parent) == {"plan"}


# ------------------------------------------------------------------ read-only and full disks
@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Callable[[str], Path | None]]:
    """Mount a tiny tmpfs with the given options; None where mounting is not permitted."""
    mounted: list[Path] = []

    def mount(options: str) -> Path | None:
        where = tmp_path / f"mnt{len(mounted)}"
        where.mkdir()
        try:
            result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
        except OSError:
            return None
        if result.returncode != 0:
            return None
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fail_with(monkeypatch, name: str, code: int) -> None:
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, name, fail)


def test_a_read_only_target_fails_before_the_fill(tmp_path, tmpfs, monkeypatch):
    disk = tmpfs("ro,size=64k")
    if disk is None:
        disk = tmp_path
        _fail_with(monkeypatch, "mkdir", errno.EROFS)
    with pytest.raises(OSError) as error:
        write_atomically(disk / "plan", _fill_must_not_run)
    assert error.value.errno == errno.EROFS


def test_a_full_disk_fails_before_the_fill(tmp_path, tmpfs, monkeypatch):
    disk = tmpfs("size=64k,nr_inodes=2")
    if disk is None:
        disk = tmp_path
        _fail_with(monkeypatch, "mkdir", errno.ENOSPC)
    else:
        with pytest.raises(OSError), (disk / "ballast").open("wb") as ballast:
            ballast.write(bytes(1 << 20))  # fills the disk and its last free inode
    with pytest.raises(OSError) as error:
        write_atomically(disk / "plan", _fill_must_not_run)
    assert error.value.errno == errno.ENOSPC
    assert not (disk / "plan").exists()


def test_a_disk_filling_up_during_the_fill_leaves_the_old_content(tmp_path, tmpfs):
    disk = tmpfs("size=256k") or tmp_path

    def fill(folder: Path) -> None:
        (folder / "big.bin").write_bytes(bytes(1 << 20))
        raise OSError(errno.ENOSPC, "pretend the disk is full")  # reached only where nothing was mounted

    _earlier_output(disk / "plan")
    before = _listing(disk)
    with pytest.raises(OSError) as error:
        write_atomically(disk / "plan", fill, kind="run", identity=PLAN)
    assert error.value.errno == errno.ENOSPC
    assert _listing(disk / "plan") == {"old.txt", MARKER}
    assert _listing(disk) == before


# ------------------------------------------------------------------ interruptions
def test_keyboard_interrupt_leaves_the_old_content_and_no_staging(tmp_path):
    out = tmp_path / "plan"
    _earlier_output(out)
    with pytest.raises(KeyboardInterrupt), staged(out, "run", PLAN) as folder:
        (folder / "half.txt").write_text("half written")
        raise KeyboardInterrupt
    assert _listing(out) == {"old.txt", MARKER}
    assert _listing(tmp_path) == {"plan"}


def test_an_interrupt_right_after_the_staging_folder_is_made_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "plan"
    _earlier_output(out)
    real_mkdir = Path.mkdir

    def mkdir_then_interrupt(self, *args, **kwargs):  # Ctrl-C arriving just after the staging folder is made
        real_mkdir(self, *args, **kwargs)
        if ".abm-staging-" in self.name:
            raise KeyboardInterrupt

    monkeypatch.setattr(Path, "mkdir", mkdir_then_interrupt)
    with pytest.raises(KeyboardInterrupt), staged(out, "run", PLAN):
        pytest.fail("the caller's block ran")
    assert _listing(out) == {"old.txt", MARKER}
    assert _listing(tmp_path) == {"plan"}


def test_an_interrupt_right_after_a_temporary_file_is_made_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "calibration.toml"
    path.write_text("old = 1\n")
    real_open = os.open

    def open_then_interrupt(name, *args, **kwargs):
        fd = real_open(name, *args, **kwargs)
        if ".abm-tmp-" in str(name):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, "new = 2\n")
    assert _listing(tmp_path) == {"calibration.toml"} and path.read_text() == "old = 1\n"


# ------------------------------------------------------------------ permissions and marker
@pytest.mark.parametrize(("umask", "folder_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_modes_follow_the_umask(tmp_path, umask, folder_mode, file_mode):
    previous = os.umask(umask)
    try:
        write_atomically(tmp_path / "a" / "plan", _write_new)
        write_text_atomic(tmp_path / "single.toml", "x = 1\n")
    finally:
        os.umask(previous)
    mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "plan") == folder_mode
    assert mode(tmp_path / "a" / "plan" / "new.txt") == mode(tmp_path / "a" / "plan" / MARKER) == file_mode
    assert mode(tmp_path / "single.toml") == file_mode


def _no_constants(name: str) -> None:
    raise ValueError(f"not strict JSON: {name}")


def test_the_marker_is_strict_json(tmp_path):
    identity = {"scenario": "plan", "source": Path("plan.toml"), "loss": float("nan"), "gain": np.float32("inf")}
    write_atomically(tmp_path / "plan", _write_new, kind="sweep", identity=identity | {"nested": [float("-inf"), 1]})
    marker = json.loads((tmp_path / "plan" / MARKER).read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert {key: marker[key] for key in ("tool", "format", "kind")} == {
        "tool": "haimen-abm",
        "format": 2,
        "kind": "sweep",
    }
    assert (marker["source"], marker["loss"], marker["gain"], marker["nested"]) == ("plan.toml", None, None, [None, 1])
    assert "T" in marker["created"]


# ------------------------------------------------------------------ incremental writers
def test_locked_creates_resumes_and_refuses(tmp_path):
    out = tmp_path / "sweep"
    with locked(out, "sweep", PLAN) as folder:
        assert folder == out and read_marker(out)["kind"] == "sweep"
        (folder / "part1.csv").write_text("1")
    with locked(out, "sweep", PLAN) as folder:
        (folder / "part2.csv").write_text("2")
    assert _listing(out) == {"part1.csv", "part2.csv", MARKER}
    (out / "notes.txt").write_text("mine")  # a folder only ever added to: the user's files may stay
    with locked(out, "sweep", PLAN) as folder:
        (folder / "part3.csv").write_text("3")
    with pytest.raises(OutputRefused) as refused, locked(out, "sweep", PLAN | {"source": "other.toml"}):
        pass
    assert "--replace" not in str(refused.value) and "choose another output folder" in str(refused.value)
    assert _listing(out) == {"part1.csv", "part2.csv", "part3.csv", "notes.txt", MARKER}
    assert _listing(tmp_path) == {"sweep"}


def test_a_folder_written_incrementally_is_never_replaced_whole(tmp_path):
    out = tmp_path / "sweep"
    with locked(out, "sweep", PLAN) as folder:
        (folder / "part1.csv").write_text("1")
    with pytest.raises(OutputRefused, match="does not list the files"):
        write_atomically(out, _fill_must_not_run, kind="sweep", identity=PLAN, replace=True)
    assert _listing(out) == {"part1.csv", MARKER}


# ------------------------------------------------------------------ single files
def test_write_text_atomic_leaves_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "calibration.toml"
    path.write_text("old = 1\n")
    _fail_with(monkeypatch, "fsync", errno.ENOSPC)
    with pytest.raises(OSError):
        write_text_atomic(path, "new = 2\n")
    monkeypatch.undo()
    assert path.read_text() == "old = 1\n"
    assert _listing(tmp_path) == {"calibration.toml"}
    write_text_atomic(path, "new = 2\n")
    assert path.read_text() == "new = 2\n"


def test_a_new_file_never_replaces_one_made_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "my_plan.toml"
    write_text_atomic(path, "name = 'mine'\n", new=True)
    with pytest.raises(OutputRefused, match="already exists"):
        write_text_atomic(path, "x = 1\n", new=True)
    monkeypatch.setattr(os.path, "lexists", lambda p: False)  # as if it appeared after the first look
    with pytest.raises(OutputRefused, match="already exists"):
        write_text_atomic(path, "x = 1\n", new=True)
    assert path.read_text() == "name = 'mine'\n" and _listing(tmp_path) == {"my_plan.toml"}
