"""What compiled kernels would give the keyed draws: a what-if with Numba, which is not a dependency.

    cp -a .venv /tmp/numba-venv && /tmp/numba-venv/bin/python -m pip install numba
    /tmp/numba-venv/bin/python benchmarks/compiled_draws.py            # 1:1's nest stage: 158k deciders x 9

The residence choice's nest stage draws a Gumbel error per decider and nest (``agents.streams.gumbel``:
SplitMix64 hashes, then two logarithms). This times, best of 20: numpy as the model does it; the hashes
compiled (one fused loop, the same bits) and the logarithms still numpy's; and everything compiled. It checks
each against the model's numbers to the bit, and times ``import numba`` in a fresh process (best of 3), what
every worker would pay. Exits 2 if numba is not installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.streams import _MULTIPLIERS, _SHIFTS, Channel, _base, _slot_offsets, gumbel

try:
    import numba
except ImportError:
    print("compiled_draws: numba is not installed (see the docstring: a copy of .venv with numba)", file=sys.stderr)
    sys.exit(2)


@numba.njit(nogil=True)
def _uniforms_compiled(keys, base, offsets, out):
    """The uniforms (b + 0.5) / 2**23 of the hashes' top 23 bits, float32[key, slot]: gumbel's, to the bit (the
    SplitMix64 finaliser with ``agents.streams``' constants, fused in one loop)."""
    m1, m2 = _MULTIPLIERS
    s30, s27, s31 = _SHIFTS
    s41 = np.uint64(41)
    for i in range(keys.shape[0]):
        h = keys[i] ^ base
        h ^= h >> s30
        h *= m1
        h ^= h >> s27
        h *= m2
        h ^= h >> s31
        for j in range(offsets.shape[0]):
            x = offsets[j] + h
            x ^= x >> s30
            x *= m1
            x ^= x >> s27
            x *= m2
            out[i, j] = np.float32(np.int32(x >> s41) * 2 + 1) * np.float32(2.0**-24)
    return out


@numba.njit(nogil=True)
def _gumbel_compiled(keys, base, offsets, out):
    """:func:`_uniforms_compiled` then -log(-log(u)), all compiled."""
    _uniforms_compiled(keys, base, offsets, out)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = -np.log(-np.log(out[i, j]))
    return out


def _best_ms(f, repeats: int = 20) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return 1000 * best


def _import_seconds() -> float:
    """``import numba`` in a fresh process (after numpy, which the model imports anyway), best of 3."""
    code = "import numpy, time; t = time.perf_counter(); import numba; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout) for _ in range(3)
    ]
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deciders", type=int, default=158_000)
    parser.add_argument("--slots", type=int, default=9)
    args = parser.parse_args()
    keys = np.random.default_rng(0).integers(0, 2**63, args.deciders, dtype=np.uint64)
    seed, year = 1, 2021
    base = np.uint64(_base(seed, int(Channel.RESIDENCE_NEST), year))
    offsets = _slot_offsets(range(args.slots))
    out = np.empty((args.deciders, args.slots), dtype=np.float32)

    def model() -> np.ndarray:
        return gumbel(seed, Channel.RESIDENCE_NEST, year, keys, args.slots)

    def hashes_compiled() -> np.ndarray:
        u = _uniforms_compiled(keys, base, offsets, out)
        np.log(u, out=u)
        np.negative(u, out=u)
        np.log(u, out=u)
        return np.negative(u, out=u)

    def all_compiled() -> np.ndarray:
        return _gumbel_compiled(keys, base, offsets, out)

    reference = model()
    print(f"numba {numba.__version__}, numpy {np.__version__}: {args.deciders:,} deciders x {args.slots} Gumbel draws")
    for label, f in (
        ("numpy (the model)", model),
        ("hashes compiled", hashes_compiled),
        ("all compiled", all_compiled),
    ):
        same = f().copy()
        differ = np.count_nonzero(same != reference) / same.size
        print(f"  {label:>18s}: {_best_ms(f):6.2f} ms, draws differing from the model's: {differ:.1%}")
    print(f"  import numba: {_import_seconds():.2f} s")


if __name__ == "__main__":
    main()
