"""Every example of README.md runs, in order, on a fresh ``newsarchive demo`` archive.

README.md is read when the test runs, so the test checks whatever the README says today.
Its ``sh`` and ``python`` code blocks are run in the README's order in one temporary
folder, offline, as a reader would from a checkout: ``tests/`` and ``scrapy.cfg`` are
there (the examples use ``tests/mirror``), the first block's ``newsarchive demo`` makes
the archive, and every later example sees what the earlier ones wrote.

* A shell block runs one command at a time (a line, with its ``\\`` continuations), each
  in ``bash``; it must exit 0 and print no traceback. A command ending with ``&`` runs in
  the background until the end of its block (the next command waits for its ``--port``).
  A server started in the foreground (:data:`SERVERS`) must still be running after a few
  seconds (not stopped by an error), and is then stopped.
* ``pip install`` commands are not run: an install needs the package index, and the test
  runs in a checkout installed with the ``test`` extra, which has every other extra
  (``pip install X && cmd`` runs ``cmd``).
* A Python block runs as a script; it must exit 0.
* A block that cannot run offline or here (the live site, a Redis server, the test suite
  itself) has ``<!-- readme-test: skip (why) -->`` on a line above it, visible in the
  README's source: :data:`MAX_SKIPPED` bounds how many there may be, and each must say why.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsarchive import Archive

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The languages of the blocks that are run; other blocks (cron, ini, diagrams) are not examples to run.
SHELL = {"sh", "bash", "shell", "console"}
PYTHON = {"python", "py", "pycon"}
#: At most this many runnable blocks may be skipped.
MAX_SKIPPED = 8
#: Commands that serve until stopped: run in the foreground of a block, they are started,
#: checked to be serving after SERVER_GRACE seconds, and stopped.
SERVERS = ("newsarchive serve", "datasette ", "newsarchive replay ", "newsarchive ingest ")
SERVER_GRACE = 4.0
COMMAND_TIMEOUT = 300
#: A port the README names (``--port 8765``, ``http://127.0.0.1:8765``).
README_PORT = re.compile(r"(--port[ =]|127\.0\.0\.1:|localhost:)(\d{4,5})\b")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<lang>[\w+-]*)[ \t]*$")
_MARKER = re.compile(r"^[ \t]*<!--\s*readme-test:\s*(?P<verb>[\w-]+)\s*(?:\((?P<reason>.*)\))?\s*-->[ \t]*$")
_PIP = re.compile(r"^\s*(?:python3?\s+-m\s+)?pip3?\s+install\b[^&;|]*(?:&&\s*)?")


@dataclass
class Block:
    line: int  #: where the block starts in README.md (1-based)
    lang: str
    code: str
    skip: str | None  #: the reason given in a skip marker, else None

    @property
    def runnable(self) -> bool:
        return self.lang in SHELL | PYTHON

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def readme_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text with their skip markers.

    A marker applies to the next block, with only blank lines between; a marker that does
    not, or one with another verb or no reason, is a ValueError (a typo must not silently
    leave a block unchecked)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str] | None = None
    number = 0
    while number < len(lines):
        line = lines[number]
        marker = _MARKER.match(line)
        fence = _FENCE.match(line)
        if marker:
            if marker["verb"] != "skip" or not (marker["reason"] or "").strip():
                raise ValueError(f"README.md:{number + 1}: a marker is <!-- readme-test: skip (why) -->")
            pending = (number + 1, marker["reason"].strip())
        elif fence:
            indent, closing = fence["indent"], fence["fence"]
            body = []
            number += 1
            while number < len(lines) and lines[number].strip() != closing:
                body.append(
                    lines[number][len(indent) :] if lines[number].startswith(indent) else lines[number]
                )
                number += 1
            reason = pending[1] if pending else None
            blocks.append(Block(number - len(body), fence["lang"].lower(), "\n".join(body) + "\n", reason))
            pending = None
        elif line.strip() and pending:
            raise ValueError(f"README.md:{pending[0]}: the skip marker is not followed by a code block")
        number += 1
    if pending:
        raise ValueError(f"README.md:{pending[0]}: the skip marker is not followed by a code block")
    return blocks


def shell_commands(code: str) -> list[str]:
    """The commands of a shell block: lines joined at ``\\`` continuations, without blank
    and comment-only lines, and without ``pip install`` (see the module docstring)."""
    commands, current = [], ""
    for line in code.splitlines():
        current += line
        if line.endswith("\\"):
            current = current[:-1] + " "
            continue
        command, current = _PIP.sub("", current).strip(), ""
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


def _without_comment(command: str) -> str:
    """``command`` without a trailing ``# comment`` (outside quotes, as bash reads it)."""
    quote = None
    for index, char in enumerate(command):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or command[index - 1].isspace()):
            return command[:index].rstrip()
    return command


def _port(command: str) -> int | None:
    found = re.search(r"--port[ =](\d+)", command)
    return int(found[1]) if found else None


def _wait_for_port(port: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen) -> None:
    """Stop a command and its children (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _double_encoded(value: object) -> bool:
    """A string holding a JSON array or object: a value encoded twice."""
    if not isinstance(value, str) or not value.startswith(("[", "{")):
        return False
    try:
        return isinstance(json.loads(value), list | dict)
    except ValueError:
        return False


def output_problems(command: str, out: str, folder: Path) -> list[str]:
    """What is wrong with what a successful command printed or wrote, as far as its options
    say what to expect: ``--json`` prints JSON lines of flat records (nested values as
    JSON, never encoded twice), ``--out FILE`` and ``--chart FILE`` write that file, and a
    crawl's ``NEWSARCHIVE_DB=FILE`` holds articles."""
    problems = []
    words = shlex.split(command)
    if "--json" in words:
        lines = out.splitlines()
        if not lines:
            problems.append("--json printed nothing")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                problems.append(f"--json printed a line that is no JSON: {line[:80]!r}")
                break
            if not isinstance(record, dict):
                problems.append(f"--json printed a line that is no object: {line[:80]!r}")
                break
            twice = [key for key, value in record.items() if _double_encoded(value)]
            if twice:
                problems.append(f"--json encoded {', '.join(twice)} twice: {line[:120]!r}")
                break
    for option in ("--out", "--chart"):
        if option in words[:-1] and (name := words[words.index(option) + 1]) != "-":
            written = folder / name
            if not written.is_file() or written.stat().st_size == 0:
                problems.append(f"{option} {name}: no such file, or an empty one")
    for word in words:
        if word.startswith("NEWSARCHIVE_DB=") and words[0] == "scrapy":
            with Archive.open(folder / word.partition("=")[2]) as archive:
                if archive.count() == 0:
                    problems.append(f"the crawl stored no article in {word.partition('=')[2]}")
    return problems


class Runner:
    """Runs the examples in one folder and records what went wrong."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.failures: list[str] = []
        self.ran = 0
        self.logs = 0
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSARCHIVE_")}
        # The checkout under test, whatever an editable install elsewhere points at.
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.ports: dict[str, str] = {}

    def local(self, command: str) -> str:
        """``command`` with each port the README names replaced by a free one (the same one
        wherever the README repeats it), so a server already on 8765 cannot fail the test."""

        def free(match: re.Match[str]) -> str:
            if match[2] not in self.ports:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    self.ports[match[2]] = str(probe.getsockname()[1])
            return match[1] + self.ports[match[2]]

        return README_PORT.sub(free, command)

    def fail(self, where: Block, command: str, problem: str, err: str = "") -> None:
        tail = "\n      ".join(err.strip().splitlines()[-6:])
        self.failures.append(f"{where}: {command}\n    {problem}" + (f"\n      {tail}" if tail else ""))

    def _spawn(self, command: str, log: Path | None = None) -> subprocess.Popen:
        """``command`` in bash, in its own process group; its output piped, or written to
        ``log`` (a server that runs on while nobody reads a pipe must not block on it)."""
        output = log.open("w", encoding="utf-8") if log else subprocess.PIPE
        try:
            return subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if log else subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        finally:
            if log:
                output.close()

    def _background(self, command: str) -> tuple[subprocess.Popen, Path]:
        self.logs += 1
        log = self.folder.parent / f"background_{self.logs}.log"
        return self._spawn(command, log), log

    def shell(self, block: Block) -> None:
        background: list[tuple[str, subprocess.Popen, Path]] = []
        try:
            for command in map(self.local, shell_commands(block.code)):
                bare = _without_comment(command)
                self.ran += 1
                if bare.endswith("&") and not bare.endswith("&&"):
                    process, log = self._background(bare[:-1])
                    background.append((bare, process, log))
                    port = _port(bare)
                    if port and not _wait_for_port(port):
                        self.fail(block, command, f"nothing listens on port {port}")
                elif bare.startswith(SERVERS):
                    self.server(block, command, bare)
                else:
                    self.run(block, command)
        finally:
            for command, process, log in background:
                exited = process.poll()
                _stop(process)
                if exited is not None:
                    self.fail(
                        block, command, f"the background command exited early ({exited})", log.read_text()
                    )

    def run(self, block: Block, command: str) -> None:
        started = time.monotonic()
        process = self._spawn(command)
        try:
            out, err = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop(process)
            self.fail(block, command, f"still running after {COMMAND_TIMEOUT} s")
            return
        print(f"{time.monotonic() - started:6.1f} s  exit {process.returncode}  {block}: {command}")
        if process.returncode != 0:
            self.fail(block, command, f"exit {process.returncode}", err or out)
        elif "Traceback (most recent call last)" in err:
            self.fail(block, command, "exit 0 but a traceback on stderr", err)
        else:
            for problem in output_problems(_without_comment(command), out, self.folder):
                self.fail(block, command, problem)

    def server(self, block: Block, command: str, bare: str) -> None:
        process, log = self._background(bare)
        time.sleep(SERVER_GRACE)
        exited = process.poll()
        _stop(process)
        if exited is not None:
            self.fail(block, command, f"the server exited at once ({exited})", log.read_text())

    def python(self, block: Block, number: int) -> None:
        # The script lives outside the folder, so the folder (where exports make datasets/)
        # is not first on sys.path (datasets/ would shadow Hugging Face's datasets).
        script = self.folder.parent / f"readme_block_{number}.py"
        script.write_text(block.code, encoding="utf-8")
        self.ran += 1
        self.run(block, shlex.join([sys.executable, str(script)]))


def test_readme_markers_are_few_and_each_says_why():
    blocks = [block for block in readme_blocks(README.read_text("utf-8")) if block.runnable]
    skipped = [block for block in blocks if block.skip]
    assert len(blocks) - len(skipped) >= 7, "most of the README's examples must run"
    assert len(skipped) <= MAX_SKIPPED, [str(block) for block in skipped]
    for block in skipped:
        assert len(block.skip.split()) >= 2, f"{block}: say why it cannot run: {block.skip!r}"
    assert any("from newsarchive import Archive" in block.code for block in blocks if not block.skip)
    assert "newsarchive demo" in shell_commands(blocks[0].code)[0], "the first example makes the demo archive"


def test_the_parser_reads_markers_indented_blocks_and_commands():
    text = (
        "Intro\n\n1. Install:\n\n   ```sh\n   pip install -e . && newsarchive demo\n   ```\n\n"
        "<!-- readme-test: skip (needs the live site) -->\n\n```sh\nscrapy crawl digiato\n```\n\n"
        "```python\nprint('ok')\n```\n\n```ini\n[Unit]\n```\n"
        "```sh\nnewsarchive search 'x' \\\n  --json   # JSON lines\n# a comment\n\nnewsarchive replay d --port 1 &\n```\n"
    )
    blocks = readme_blocks(text)
    assert [(b.line, b.lang, b.skip) for b in blocks] == [
        (5, "sh", None),
        (11, "sh", "needs the live site"),
        (15, "python", None),
        (19, "ini", None),
        (22, "sh", None),
    ]
    assert shell_commands(blocks[0].code) == ["newsarchive demo"]
    assert shell_commands(blocks[4].code) == [
        "newsarchive search 'x'    --json   # JSON lines",
        "newsarchive replay d --port 1 &",
    ]
    assert (
        _without_comment("newsarchive search '#x' --json   # JSON lines") == "newsarchive search '#x' --json"
    )
    assert not blocks[3].runnable


@pytest.mark.parametrize(
    "text",
    [
        "<!-- readme-test: skip -->\n```sh\nls\n```\n",
        "<!-- readme-test: ignore (why) -->\n```sh\nls\n```\n",
        "<!-- readme-test: skip (why not) -->\nSome text.\n```sh\nls\n```\n",
        "text\n<!-- readme-test: skip (why not) -->\n",
    ],
)
def test_a_marker_that_cannot_apply_is_an_error(text):
    with pytest.raises(ValueError, match="marker"):
        readme_blocks(text)


@pytest.mark.slow
def test_the_readme_examples_run_in_order_on_a_fresh_demo_archive(tmp_path):
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / "tests").symlink_to(ROOT / "tests")
    shutil.copy(ROOT / "scrapy.cfg", folder / "scrapy.cfg")
    runner = Runner(folder)
    blocks = [block for block in readme_blocks(README.read_text("utf-8")) if block.runnable]
    for number, block in enumerate(blocks):
        if block.skip:
            continue
        if block.lang in SHELL:
            runner.shell(block)
        else:
            runner.python(block, number)
        if number == 0:
            assert (folder / "archive.db").is_file(), "the first example makes ./archive.db"
    assert runner.ran >= 20
    assert not runner.failures, f"{len(runner.failures)} README examples failed:\n" + "\n".join(
        runner.failures
    )


def test_output_problems_are_found(tmp_path):
    assert output_problems("newsarchive runs --json", '{"id": 1, "problems": ["x"]}\n', tmp_path) == []
    doubled = output_problems("newsarchive runs --json", '{"responses": "{\\"200\\": 5}"}\n', tmp_path)
    assert len(doubled) == 1 and doubled[0].startswith("--json encoded responses twice")
    assert output_problems("newsarchive stats --json", "{\n", tmp_path)[0].startswith(
        "--json printed a line that"
    )
    assert output_problems("newsarchive stats --json", "", tmp_path) == ["--json printed nothing"]
    assert output_problems("newsarchive export --out ai.jsonl", "", tmp_path) == [
        "--out ai.jsonl: no such file, or an empty one"
    ]
    (tmp_path / "ai.jsonl").write_text("{}\n")
    assert output_problems("newsarchive export --out ai.jsonl", "", tmp_path) == []
    assert output_problems("newsarchive export --out - --gzip", "", tmp_path) == []


def test_the_readme_ports_become_free_ones_the_same_everywhere(tmp_path):
    runner = Runner(tmp_path)
    serve = runner.local("newsarchive replay tests/mirror --port 8765 &")
    crawl = runner.local("scrapy crawl digiato -s NEWSARCHIVE_REPLAY_URL=http://127.0.0.1:8765 -s X=1")
    other = runner.local("newsarchive serve --port 8001")
    port = serve.split("--port ")[1].split()[0]
    assert (
        port != "8765"
        and crawl == f"scrapy crawl digiato -s NEWSARCHIVE_REPLAY_URL=http://127.0.0.1:{port} -s X=1"
    )
    assert "8001" not in other and port not in other
    assert (
        runner.local("newsarchive search 'iOS 17.2' --limit 8765")
        == "newsarchive search 'iOS 17.2' --limit 8765"
    )
