"""A child process and its descendants, read from /proc while they run (Linux).

``os.wait4`` reports only the process it waits for and the children that process waited for
itself. A crawl's page workers are children of a fork server that outlives the crawl's own
process, so their CPU and memory are sampled here instead.
"""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (not ``pid`` itself)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as file:
                children = [int(child) for child in file.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found += children
        pending += children
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of ``pid`` so far, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(total PSS, largest VmHWM) of a process and its descendants: PSS splits shared pages
    fairly; VmHWM is each process's own peak RSS (reset by exec, unlike ``ru_maxrss``)."""
    total = hwm = 0
    for current in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{current}/smaps_rollup") as file:
                total += next((int(line.split()[1]) for line in file if line.startswith("Pss:")), 0)
            with open(f"/proc/{current}/status") as file:
                hwm = max(hwm, next((int(line.split()[1]) for line in file if line.startswith("VmHWM:")), 0))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total, hwm
