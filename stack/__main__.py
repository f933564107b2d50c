"""python -m stack [serve|stop|test|load …]: see `make stack`, `make stack-stop`,
`make stack-test` and `make load` in the Makefile and README."""

import os
import subprocess
import sys

from stack.run import PYTHON, ROOT, Stack, StackError, running, serve, started, stop_running


def _with_stack(command: list[str]) -> int:
    """Run `command` against the running stack, or a stack started for it and stopped after."""
    if running() is not None:
        return subprocess.call(command, cwd=ROOT)
    try:
        with started(Stack()):
            return subprocess.call(command, cwd=ROOT)
    except StackError as error:
        print(f"stack: {error}", file=sys.stderr)
        return 1


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "serve"
    if action == "serve":
        return serve()
    if action == "stop":
        return stop_running()
    if action == "test":
        extra = argv[1:] or ["-rs"]
        return _with_stack(
            [PYTHON, "-m", "pytest", "-p", "no:xdist", "tests/test_stack.py", *extra]
        )
    if action == "load":
        return _with_stack([PYTHON, "-m", "stack.load", *argv[1:]])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
