"""Where runs execute: here (serial), in joblib worker processes, or on a Dask cluster.

Every backend calls the same top-level function on the same arguments and
yields results as they finish (in any order); the caller writes each one at
once. Results do not depend on the backend: seeds travel with the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from environment.settings import InputError

BACKENDS = ("serial", "joblib", "dask")


class BackendError(InputError):
    """A backend that cannot be used as asked (unknown name, bad worker count)."""


def completed(
    func: Callable[..., Any],
    calls: Sequence[tuple],
    backend: str = "joblib",
    jobs: int = 1,
    scheduler: str | None = None,
) -> Iterator[Any]:
    """Yield ``func(*args)`` for every ``args`` in ``calls``, as each finishes.

    Parameters
    ----------
    backend : "serial", "joblib" (local processes) or "dask" (a cluster at ``scheduler``, or a LocalCluster).
    jobs : worker processes (joblib: -1 = all cores; dask LocalCluster: workers started).
    scheduler : address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786`` (dask only).
    """
    check(backend, jobs, scheduler)
    if not calls:
        return
    if backend == "serial" or (backend == "joblib" and jobs == 1):
        for args in calls:
            yield func(*args)
    elif backend == "joblib":
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
        yield from parallel(delayed(func)(*args) for args in calls)
    else:
        yield from _dask(func, calls, jobs, scheduler)


def check(backend: str, jobs: int, scheduler: str | None) -> None:
    """Refuse an unknown backend, a zero worker count or a scheduler address without Dask."""
    if backend not in BACKENDS:
        raise BackendError(f"--backend {backend!r}: one of {', '.join(BACKENDS)}")
    if not isinstance(jobs, int) or jobs == 0 or jobs < -1:
        raise BackendError(f"--jobs {jobs!r}: a positive number of workers, or -1 for all cores")
    if scheduler and backend != "dask":
        raise BackendError(f"--scheduler {scheduler!r}: only with --backend dask")


def _dask(func: Callable[..., Any], calls: Sequence[tuple], jobs: int, scheduler: str | None) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise BackendError(f"--scheduler {scheduler!r}: cannot reach a Dask scheduler there ({e})") from None
    else:
        import os

        workers = (os.cpu_count() or 1) if jobs == -1 else jobs
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
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
