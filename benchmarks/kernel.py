"""The vectorized choice kernel against the bare numpy work it cannot avoid, per agent and alternative.

A logit choice over ``J`` alternatives for ``N`` deciders needs at least one
random draw (or one ``exp``) and one comparison per decider and alternative.
The floors are those operations alone on arrays of the kernel's shape
(float32[N, J], the utilities of each decider's kind already laid out):

* exp + argmax: ``np.exp`` over the array, then ``argmax`` along alternatives;
* Gumbel + argmax: numpy's own Gumbel generator, added to the utilities, then ``argmax``.

The kernel is ``choose`` as the model calls it, keyed draws included
(``benchmarks.naive.vectorized``), with and without the capacities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.naive import ChoiceProblem, best_time, vectorized


@dataclass
class KernelRow:
    """Nanoseconds per decider and alternative (best of the repeats)."""

    name: str
    seconds: float
    ns_per_cell: float


def kernel_rows(problem: ChoiceProblem, repeats: int) -> list[KernelRow]:
    """The kernel with and without capacities, and the two floors, on ``problem``'s arrays."""
    n, n_alt = len(problem), problem.V.shape[1]
    cells = n * n_alt
    laid_out = problem.V[problem.kind]  # float32[n, alt]
    out = np.empty_like(laid_out)
    generator = np.random.default_rng(0)

    def exp_argmax() -> np.ndarray:
        np.exp(laid_out, out=out)
        return np.argmax(out, axis=1)

    def gumbel_argmax() -> np.ndarray:
        return np.argmax(laid_out + generator.gumbel(size=laid_out.shape), axis=1)

    timed = {
        "kernel: choose, no capacities (keyed draws included)": lambda: vectorized(problem, capacities=False),
        "kernel: choose with the model's capacities": lambda: vectorized(problem, capacities=True),
        "floor: exp + argmax (float32)": exp_argmax,
        "floor: numpy Gumbel draw + add + argmax": gumbel_argmax,
    }
    rows = []
    for name, fn in timed.items():
        seconds, _ = best_time(fn, repeats)
        rows.append(KernelRow(name, seconds, 1e9 * seconds / cells))
    return rows
