"""The console script: ``smgrad diagnose path/to/file.py:function``, for autograders.

Usage::

    smgrad diagnose FILE:FUNC [--rule RULE] [--json] [--hide-fix] [--timeout SECONDS]
    python -m smgrad diagnose ...          (the same, where the script is not installed)

It imports ``FILE``, checks ``FUNC`` with :func:`smgrad.diagnose`, prints the verdict
and exits 0 when the rule is right, 1 when it is wrong, 2 when it cannot be run (a
missing file or function, an error while importing the file, a time limit passed).
``--json`` prints the verdict's fields as one JSON object; ``--hide-fix`` never prints
the fix (for graders whose students see the output); ``--timeout`` bounds the time the
file's code may take, its import included (default :data:`DEFAULT_TIMEOUT` seconds): the
check runs in a child process, which is killed past the limit.

The command runs the file's code, with your permissions: check untrusted submissions in
a container, as with any autograder. Nothing in :mod:`smgrad` imports this module.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import multiprocessing
import os
import sys
from typing import Callable, Optional, Sequence

from ._autograd_functions import missing_framework
from ._compare import kind_of
from .diagnosis import RULES, Diagnosis, cannot_run, diagnose

__all__ = ["main", "check", "check_in_child", "load", "CannotRun", "DEFAULT_TIMEOUT"]

#: Seconds the file's code may take by default (its import and the check together).
DEFAULT_TIMEOUT = 10.0
# Seconds a child process may take to start (Python and numpy imported): not the file's.
_START_LIMIT = 120.0


class CannotRun(Exception):
    """The file or function cannot be loaded: the command exits 2."""


def load(target: str) -> Callable:
    """The function ``target`` names, ``"path/to/file.py:function"``, from the file
    imported as a module (the file's folder first on ``sys.path`` meanwhile, so that it
    can import its neighbours).

    Raises
    ------
    CannotRun
        Saying why: no such file or function, not a function, or the import failed.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "mine.py")
    >>> with open(path, "w") as f:
    ...     _ = f.write("def backward(s, g):\\n    return g\\n")
    >>> load(path + ":backward").__name__
    'backward'
    >>> load(path + ":forward")
    Traceback (most recent call last):
    ...
    smgrad.cli.CannotRun: '...mine.py' has no function 'forward' (functions it defines: backward)
    """
    path, sep, function = target.rpartition(":")
    if not sep or not path or not function:
        raise CannotRun(f"{target!r} does not name a function: write "
                        f"path/to/file.py:function")
    if not os.path.isfile(path):
        raise CannotRun(f"no file {path!r}")
    spec = importlib.util.spec_from_file_location("_smgrad_diagnosed", path)
    if spec is None or spec.loader is None:
        raise CannotRun(f"{path!r} cannot be imported as Python (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        why = missing_framework(exc) or f"{type(exc).__name__}: {exc}"
        raise CannotRun(f"importing {path!r} failed: {why}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    if not hasattr(module, function):
        defined = sorted(name for name, value in vars(module).items()
                         if callable(value) and not name.startswith("_")
                         and getattr(value, "__module__", None) == module.__name__)
        raise CannotRun(f"{path!r} has no function {function!r} (functions it defines: "
                        f"{', '.join(defined) if defined else 'none'})")
    fn = getattr(module, function)
    if not callable(fn):
        raise CannotRun(f"{function!r} in {path!r} is {kind_of(fn)}, not a function")
    return fn


def check(target: str, rule: str = "softmax") -> Diagnosis:
    """Load ``target`` and diagnose it, in this process: a verdict whose status is
    ``"cannot run"`` (symptom ``"cannot load"``) when it cannot be loaded.

    Examples
    --------
    >>> check("no/such/file.py:backward")
    cannot run: no file 'no/such/file.py'
    """
    try:
        backward = load(target)
    except CannotRun as exc:
        return cannot_run(rule, "cannot load", str(exc))
    return diagnose(backward, rule=rule)


def _child(connection, target: str, rule: str) -> None:  # pragma: no cover (a child)
    """The child process: what the file prints goes to stderr; the verdict goes back
    through ``connection``, after a first message saying it has started."""
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    connection.send("started")
    try:
        verdict = check(target, rule)
    except BaseException as exc:  # noqa: BLE001 (sys.exit in the learner's function, ...)
        verdict = cannot_run(rule, "raised", f"the check stopped: {type(exc).__name__}: "
                                              f"{exc}")
    connection.send(dataclasses.asdict(verdict))


def check_in_child(target: str, rule: str = "softmax",
                   timeout: float = DEFAULT_TIMEOUT) -> Diagnosis:
    """:func:`check` in a child process, killed when the file's code (its import and
    the check) takes more than ``timeout`` seconds: then the verdict is ``"cannot
    run"``, symptom ``"timed out"``. What the file prints goes to stderr.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "slow.py")
    >>> with open(path, "w") as f:
    ...     _ = f.write("import time\\ntime.sleep(60)\\n")
    >>> verdict = check_in_child(path + ":backward", timeout=0.5)
    >>> verdict.status, verdict.symptom
    ('cannot run', 'timed out')
    """
    context = multiprocessing.get_context("spawn")    # a fresh interpreter, on any OS
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, target, rule), daemon=True)
    process.start()
    sender.close()
    try:
        started = receiver.poll(_START_LIMIT) and receiver.recv() == "started"
        if started and receiver.poll(timeout):
            return Diagnosis(**receiver.recv())
        if started:
            return cannot_run(rule, "timed out", f"{target} took more than {timeout:g} s "
                                                  f"(the limit set by --timeout)")
        return cannot_run(rule, "timed out", "the check did not start")
    except EOFError:
        process.join(5)
        return cannot_run(rule, "raised", f"the check ended without a verdict (exit "
                                           f"code {process.exitcode})")
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smgrad", description="smgrad's command line (python -m smgrad works too).")
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser(
        "diagnose", help="check a backward rule and name its mistake",
        description="Check a backward rule and name its mistake. Exit status: 0 right, "
                    "1 wrong, 2 cannot run. It runs the file's code: check untrusted "
                    "files in a container.")
    sub.add_argument("target", help="path/to/file.py:function (or :Class, a PyTorch or "
                                    "MXNet custom autograd Function)")
    sub.add_argument("--rule", choices=RULES, default="softmax",
                     help="the rule the function implements (default: softmax)")
    sub.add_argument("--json", action="store_true",
                     help="print the verdict's fields as one JSON object")
    sub.add_argument("--hide-fix", action="store_true",
                     help="print the verdict and its explanation, never the fix")
    sub.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                     help=f"seconds the file's code may take, import included "
                          f"(default: {DEFAULT_TIMEOUT:g})")
    return parser


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line (``argv`` without the program's name) and return the exit
    status: 0 right, 1 wrong, 2 cannot run.

    The verdict goes to stdout (with ``--json``, one object holding ``target`` and the
    :class:`~smgrad.Diagnosis` fields, less ``fix`` with ``--hide-fix``); a "cannot
    run" verdict goes to stderr unless ``--json``. What the file prints goes to stderr.

    Examples
    --------
    >>> main(["diagnose", "no/such/file.py:backward"])   # "cannot run: ..." on stderr
    2
    """
    args = _parser().parse_args(argv)
    verdict = check_in_child(args.target, args.rule, args.timeout)
    for stream in (sys.stdout, sys.stderr):   # ⟨g, s⟩ on a console that cannot show it
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if args.json:
        fields = {"target": args.target, **dataclasses.asdict(verdict)}
        if args.hide_fix:
            del fields["fix"]
        print(json.dumps(fields))
    elif verdict.status == "cannot run":
        print(verdict.message, file=sys.stderr)
    else:
        print(verdict.message)
        if verdict.fix and not args.hide_fix:
            print(f"Fix: {verdict.fix}")
    return {"right": 0, "wrong": 1}.get(verdict.status, 2)
