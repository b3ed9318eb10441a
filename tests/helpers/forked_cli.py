"""``sohoa`` commands forked from one warm interpreter, for tests that start
the command many times (tests/faults/).

Importing sohoa and Prefect takes ~10 s of wall time on a loaded 2-core
machine, which twenty kill trials cannot afford. ``CliForker`` starts this
module once as a server that imports everything, then forks one child per
command. Each child runs in a new session (its own process group, as a
service manager starts a program), with the environment it is given, its
output in files, and runs ``sohoa.cli.main`` as the console script does.

Prefect's settings are read when Prefect is imported, so the Prefect API
(``PREFECT_API_URL``) is the server's, for every child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Finished:
    exit_code: int  # negative: killed by that signal
    stdout: str
    stderr: str


class CliForker:
    """The client: ``start`` a command, ``wait`` for it, or ``run`` it whole."""

    def __init__(self, env: dict[str, str]) -> None:
        self._server = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.forked_cli"],
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._outputs: dict[int, Path] = {}
        self._ask({"ping": True})

    def _ask(self, request: dict[str, object]) -> dict[str, object]:
        stdin, stdout = self._server.stdin, self._server.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        line = stdout.readline()
        assert line, f"the forking server died (exit {self._server.poll()})"
        answer: dict[str, object] = json.loads(line)
        return answer

    def start(self, args: list[str], env: dict[str, str], output: Path) -> int:
        """Fork ``sohoa *args``; its stdout and stderr go to ``output``.out/.err. Returns
        its pid, which is also its process group id."""
        answer = self._ask({"args": args, "env": env, "output": str(output)})
        pid = int(str(answer["pid"]))
        self._outputs[pid] = output
        return pid

    def wait(self, pid: int) -> Finished:
        answer = self._ask({"wait": pid})
        output = self._outputs.pop(pid)
        return Finished(
            int(str(answer["exit"])),
            output.with_suffix(".out").read_text(encoding="utf-8", errors="replace"),
            output.with_suffix(".err").read_text(encoding="utf-8", errors="replace"),
        )

    def run(self, args: list[str], env: dict[str, str], output: Path) -> Finished:
        return self.wait(self.start(args, env, output))

    def close(self) -> None:
        if self._server.stdin is not None:
            self._server.stdin.close()
        self._server.wait(timeout=60)


def _child(request: dict[str, object]) -> int:
    """In the forked child: a session of its own, the given environment and outputs."""
    os.setsid()
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
    output = Path(str(request["output"]))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, suffix in ((1, ".out"), (2, ".err")):
        os.dup2(os.open(output.with_suffix(suffix), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    from sohoa.cli import main

    try:
        return main([str(arg) for arg in request["args"]])  # type: ignore[attr-defined]
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _serve(requests: IO[str], answers: IO[str]) -> None:
    from sohoa.flows import prefect_env

    prefect_env.configure()
    import sohoa.cli
    import sohoa.flows.inbox
    import sohoa.flows.maintenance  # noqa: F401

    assert threading.active_count() == 1, "a thread at import time would not survive fork"
    for line in requests:
        request = json.loads(line)
        if "wait" in request:
            _, status = os.waitpid(int(request["wait"]), 0)
            answer: dict[str, object] = {"exit": os.waitstatus_to_exitcode(status)}
        elif "args" in request:
            pid = os.fork()
            if pid == 0:
                os._exit(_child(request))
            answer = {"pid": pid}
        else:
            answer = {"pong": True}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
