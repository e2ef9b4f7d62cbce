"""A pre-imported parent for the `cxcs` CLI runs of the tests: each run is a new forked process.

Every `cxcs refresh` the suite starts spent about 6.5 s of CPU importing Dagster, dbt, Great
Expectations, DuckDB and pandas before doing anything (py-spy of the suite: imports were 18% of
its CPU). This process imports those third-party libraries once, then forks one child per
request; the child runs ``orchestration.cli.main`` exactly as ``python -m orchestration.cli``
would, in its own process, with the request's environment, folder, stdout and stderr files and
an empty stdin, and its exit code goes back to the test. Nothing of the project is imported
before the fork (settings, the definitions and the dbt project are read in the child, from its
own environment), and the parent opens no DuckDB file and starts no Python thread, so a child
starts from the state a fresh interpreter would reach after the same imports.

Protocol (one request at a time): a JSON line on stdin ``{"argv", "env", "cwd", "stdout",
"stderr"}``; the reply is a JSON line ``{"pid": ...}`` at once, then ``{"returncode": ...}``.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import traceback

# What every CLI run imports first anyway (orchestration.refresh and the definitions).
import dagster  # noqa: F401
import dagster_dbt  # noqa: F401
import dbt.cli.main  # noqa: F401
import duckdb  # noqa: F401
import great_expectations  # noqa: F401
import pandas  # noqa: F401

# What a build that scores comments, clusters themes or fits the churn model imports in its dbt
# Python models (0.64 s measured here with a test suite running beside it, paid again by every
# refresh of a demo with comments).
import sklearn.cluster  # noqa: F401
import sklearn.feature_extraction.text  # noqa: F401
import sklearn.linear_model  # noqa: F401
import sklearn.metrics  # noqa: F401
import sklearn.preprocessing  # noqa: F401


def _child(request: dict[str, object], reply_fd: int) -> None:
    """Become the CLI run the request asks for, and exit with its code."""
    os.close(reply_fd)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the zygote ignores it; a run must not
    os.setpgid(0, 0)  # the run's own group: a timeout kills it with everything it started
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[arg-type]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
    sys.argv = ["cxcs", *argv]
    code = 1
    try:
        from orchestration.cli import main

        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()  # what the interpreter prints for an uncaught exception
    # The end of a Python program: non-daemon threads joined (the Data Docs writer), atexit
    # handlers, streams flushed. Then _exit: not the C++ static destructors, which in a forked
    # child meet thread objects of the zygote's libraries (pyarrow's pools) whose threads were
    # not forked ("terminate called without an active exception").
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C of pytest reaches the group: pytest decides
    request_fd, reply_fd = os.dup(0), os.dup(1)
    # The zygote's own fds 0 and 1 never carry the protocol, so a child cannot write into it.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, reply_fd)
        os.write(reply_fd, (json.dumps({"pid": pid}) + "\n").encode())
        _, status = os.waitpid(pid, 0)
        os.write(reply_fd, (json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n").encode())


if __name__ == "__main__":
    serve()
