"""The machine a benchmark ran on, as its report states it."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

import numpy as np


def machine() -> str:
    """CPU model, cores, Python, numpy and the operating system, in one line."""
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.system()} {platform.release()}"
    )
