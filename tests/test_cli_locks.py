"""Run-lock files beside the archive: removed on release, mutual exclusion kept.

:class:`newsarchive.runlock.RunLock` unlinks its file while still holding the lock, and a
process that gets the lock checks that the path still names the file it locked; these tests
play the race that check is for, and a few processes taking the lock in turn.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from newsarchive import runlock
from newsarchive.archive import Archive
from newsarchive.cli import main
from newsarchive.runlock import MAINTENANCE, RunLock, RunLocked, maintenance_holder


def beside(db: Path) -> list[str]:
    return sorted(path.name for path in db.parent.iterdir() if path.name.endswith(".lock"))


def test_release_removes_the_lock_file(tmp_path):
    db = tmp_path / "archive.db"
    with RunLock(db, "digiato") as lock:
        assert beside(db) == ["archive.db.digiato.lock"]
        assert lock.path.read_text() == str(os.getpid())
    assert beside(db) == []


def test_a_held_lock_still_refuses_a_second_run_and_names_its_pid(tmp_path):
    db = tmp_path / "archive.db"
    with RunLock(db, "digiato"):
        with pytest.raises(RunLocked, match=rf"another digiato run \(pid {os.getpid()}\)") as refused:
            RunLock(db, "digiato").acquire()
        assert refused.value.holder == str(os.getpid())
        RunLock(db, "zoomit").acquire().release()  # another spider: its own lock
    RunLock(db, "digiato").acquire().release()  # free again
    assert beside(db) == []


def test_a_file_left_by_a_killed_run_is_taken_and_then_removed(tmp_path):
    db = tmp_path / "archive.db"
    Path(f"{db}.digiato.lock").write_text("99999")  # a SIGKILLed run leaves its file, unlocked
    with RunLock(db, "digiato") as lock:
        assert lock.path.read_text() == str(os.getpid())
    assert beside(db) == []


def test_a_lock_on_a_file_unlinked_meanwhile_is_not_a_lock(tmp_path, monkeypatch):
    """The race: B opens the lock file, A releases (unlinks, unlocks), C creates and locks a
    new file, then B locks the old one. B must see the path is C's file now and be refused."""
    db = tmp_path / "archive.db"
    first = RunLock(db, "digiato").acquire()
    third = RunLock(db, "digiato")
    real_open = os.open
    opened = []

    def open_then_race(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        if not opened:  # B's first open: A releases and C takes the lock before B's flock
            opened.append(fd)
            first.release()
            third.acquire()
        return fd

    monkeypatch.setattr(runlock.os, "open", open_then_race)
    with pytest.raises(RunLocked):
        RunLock(db, "digiato").acquire()
    assert len(opened) == 1  # B tried again on the new file, which C holds
    monkeypatch.undo()
    assert third.path.read_text() == str(os.getpid())
    third.release()
    assert beside(db) == []


def test_the_maintenance_holder_is_named_and_then_gone(tmp_path):
    db = tmp_path / "archive.db"
    assert maintenance_holder(db) is None
    with RunLock(db, MAINTENANCE):
        assert maintenance_holder(db) == str(os.getpid())
    assert maintenance_holder(db) is None and beside(db) == []


def test_reindex_leaves_no_lock_file(tmp_path, capsys):
    db = tmp_path / "archive.db"
    with Archive(db):
        pass
    assert main(["reindex", "--db", str(db), "--json"]) == 0
    capsys.readouterr()
    assert beside(db) == []


def _take_turns(db: str, log: str, rounds: int) -> None:
    for _ in range(rounds):
        while True:
            try:
                lock = RunLock(db, "digiato").acquire()
                break
            except RunLocked:
                time.sleep(0.0005)
        try:
            with open(log, "a") as file:
                file.write(f"in {os.getpid()}\n")
                file.flush()
                time.sleep(0.0005)
                file.write(f"out {os.getpid()}\n")
        finally:
            lock.release()


@pytest.mark.slow
def test_processes_taking_the_lock_in_turn_never_overlap(tmp_path):
    db, log = tmp_path / "archive.db", tmp_path / "log.txt"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_take_turns, args=(str(db), str(log), 150)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 4 * 150 * 2
    for entered, left in zip(lines[::2], lines[1::2], strict=True):
        assert entered.startswith("in ") and left == "out " + entered[3:]  # no one inside another's turn
    assert beside(db) == []
