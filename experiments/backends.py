"""Where runs execute: here (serial), in joblib worker processes, or on a Dask cluster.

Every backend calls the same top-level function on the same arguments: :meth:`Backend.completed`
yields the results as they finish (in any order; a sweep writes each at once), :meth:`Backend.map`
returns them in the calls' order (``run_many``, calibration). Results do not depend on the backend:
seeds travel with the runs.

A command chooses its backend once, as joblib's ``parallel_config`` does: every ``run_many`` inside
``with using(Backend("dask", jobs=4)):`` runs there, and a Dask backend without a scheduler's address
gets one LocalCluster for the whole block (a calibration's dozens of rounds share it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from environment.settings import InputError

BACKENDS = ("serial", "joblib", "dask")


class BackendError(InputError):
    """A backend that cannot be used as asked (unknown name, bad worker count, unreachable scheduler)."""


@dataclass(frozen=True)
class Backend:
    """Where runs execute; checked when made.

    Parameters
    ----------
    kind : "serial", "joblib" (local processes) or "dask" (a cluster at ``scheduler``, or a LocalCluster).
    jobs : worker processes (joblib: -1 = all cores; dask LocalCluster: workers started).
    scheduler : address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786`` (dask only).
    """

    kind: str = "joblib"
    jobs: int = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise BackendError(f"--backend {self.kind!r}: one of {', '.join(BACKENDS)}")
        if not isinstance(self.jobs, int) or self.jobs == 0 or self.jobs < -1:
            raise BackendError(f"--jobs {self.jobs!r}: a positive number of workers, or -1 for all cores")
        if self.scheduler and self.kind != "dask":
            raise BackendError(f"--scheduler {self.scheduler!r}: only with --backend dask")

    def completed(self, func: Callable[..., Any], calls: Sequence[tuple]) -> Iterator[Any]:
        """Yield ``func(*args)`` for every ``args`` in ``calls``, as each finishes."""
        if not calls:
            return
        if self.kind == "serial" or (self.kind == "joblib" and (self.jobs == 1 or len(calls) == 1)):
            for args in calls:
                yield func(*args)
        elif self.kind == "joblib":
            from joblib import Parallel, delayed

            parallel = Parallel(n_jobs=self.jobs, return_as="generator_unordered")
            yield from parallel(delayed(func)(*args) for args in calls)
        else:
            yield from _dask(func, calls, self.jobs, self.scheduler)

    def map(self, func: Callable[..., Any], calls: Sequence[tuple], progress: bool = False) -> list[Any]:
        """``[func(*args) for args in calls]``, run on this backend; ``progress``: a bar on stderr."""
        results: list[Any] = [None] * len(calls)
        bar = _bar(len(calls)) if progress else None
        try:
            for i, value in self.completed(_numbered, [(i, func, args) for i, args in enumerate(calls)]):
                results[i] = value
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return results


def _numbered(i: int, func: Callable[..., Any], args: tuple) -> tuple[int, Any]:
    """``func(*args)`` with the position of its call (results come back in any order)."""
    return i, func(*args)


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True)


DEFAULT = Backend("joblib", -1)  # outside any `using` block: joblib on all cores
_IN_USE: ContextVar[Backend | None] = ContextVar("backend", default=None)


def in_use(jobs: int | None = None) -> Backend:
    """The backend chosen by the innermost :func:`using` (else joblib on all cores); ``jobs`` replaces its count."""
    backend = _IN_USE.get() or DEFAULT
    return backend if jobs is None else replace(backend, jobs=jobs)


@contextmanager
def using(backend: Backend) -> Iterator[Backend]:
    """Run on ``backend`` whatever asks :func:`in_use` inside the block (``run_many`` does).

    A Dask backend without a scheduler's address starts one LocalCluster of ``backend.jobs`` workers for the
    block and closes it at its end.
    """
    cluster = None
    if backend.kind == "dask" and not backend.scheduler:
        cluster = _local_cluster(backend.jobs)
        backend = replace(backend, scheduler=cluster.scheduler_address)
    token = _IN_USE.set(backend)
    try:
        yield backend
    finally:
        _IN_USE.reset(token)
        if cluster is not None:
            cluster.close()


def _local_cluster(jobs: int):
    """A Dask LocalCluster on this machine: ``jobs`` worker processes (-1: one per core), one thread each."""
    import os

    from dask.distributed import LocalCluster

    workers = (os.cpu_count() or 1) if jobs == -1 else jobs
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _dask(func: Callable[..., Any], calls: Sequence[tuple], jobs: int, scheduler: str | None) -> Iterator[Any]:
    from dask.distributed import Client, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise BackendError(f"--scheduler {scheduler!r}: cannot reach a Dask scheduler there ({e})") from None
    else:
        cluster = _local_cluster(jobs)
        client = Client(cluster)
    try:
        futures = [client.submit(func, *args, pure=False) for args in calls]
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
