"""Mutation testing for the modules that decide outcomes: a small AST mutator and a fork-per-mutant runner.

Why our own: mutation tools that work function by function (mutmut 3's trampolines) leave module-level
tables alone, and those tables are where the decisions live here: the exit-code severity order, the
state maps, the transient-status set, the caps. This script mutates the whole module.

Each mutant is one change to one module (see `Mutator` for the operators). It is written into a
snapshot of the working tree (so editing the real tree during a run changes nothing), and the tests that
cover that module (`MODULES`) run against it in a forked child of a parent that has already imported
pytest and the heavy third-party packages: a mutant costs its tests, not an interpreter start. A mutant
is *killed* when a test fails, *timeout* when its tests ran past the per-mutant limit (counted as killed,
but listed: a test should fail, not hang), *survived* when every selected test passed.

    python tools/mutation/mutate.py                      # every module, every mutant
    python tools/mutation/mutate.py --module text.py     # one module (a suffix of its path)
    python tools/mutation/mutate.py --list               # print the mutants, run nothing
    python tools/mutation/mutate.py --sample 40 --seed 1 # at most 40 mutants per module, seeded

Results go to tools/mutation/results.json (every mutant and its fate) and a Markdown summary to stdout.
Mutants judged equivalent (no behaviour can tell them from the original) are listed with a reason in
tools/mutation/equivalent.txt and excluded from the score. Not part of CI: a full run takes tens of
minutes.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: The decision modules, and the tests that cover each (fast, in-process ones first: `-x` stops early).
MODULES: dict[str, list[str]] = {
    "statuscli/core/errors.py": ["tests/test_engine_outcomes.py", "tests/test_cli.py"],
    "statuscli/core/text.py": ["tests/test_caps.py", "tests/test_text_width.py", "tests/test_hostile.py"],
    "statuscli/engine/retry.py": [
        "tests/test_caps.py",
        "tests/test_retry.py",
        "tests/test_engine_outcomes.py",
    ],
    "statuscli/providers/targets.py": [
        "tests/test_input.py",
        "tests/test_target_file.py",
        "tests/test_watch_cli.py",
    ],
    "statuscli/http/safety.py": ["tests/test_input.py", "tests/test_proxy.py", "tests/test_secrets.py"],
    "statuscli/config/files.py": [
        "tests/test_config.py",
        "tests/test_config_hosts.py",
        "tests/test_secrets.py",
        "tests/test_cli.py",
        "tests/test_budget.py::test_config_max_rate_is_shown_and_checked",
    ],
    "statuscli/config/resolve.py": [
        "tests/test_config.py",
        "tests/test_config_hosts.py",
        "tests/test_secrets.py",
        "tests/test_cli.py",
        "tests/test_budget.py::test_config_max_rate_is_shown_and_checked",
    ],
    "statuscli/core/settings.py": [
        "tests/test_config.py",
        "tests/test_config_hosts.py",
        "tests/test_secrets.py",
        "tests/test_cli.py",
        "tests/test_budget.py::test_config_max_rate_is_shown_and_checked",
    ],
    "statuscli/providers/anchor.py": ["tests/test_provider_parsers.py", "tests/test_cli.py"],
    "statuscli/providers/browserable.py": ["tests/test_provider_parsers.py", "tests/test_cli.py"],
    "statuscli/engine/watcher.py": [
        "tests/test_engine_outcomes.py",  # first: its threaded tests end at a deadline, never hang
        "tests/test_watch.py",
        "tests/test_fail_fast.py",
        "tests/test_retry.py",
        "tests/test_budget.py::test_the_budget_switched_off_keeps_the_per_task_backoff",
        "tests/test_stream.py",  # targets that join, bad lines, the end of the input
    ],
    "statuscli/engine/cadence.py": [
        "tests/test_engine_outcomes.py",  # first: its threaded tests end at a deadline, never hang
        "tests/test_watch.py",
        "tests/test_fail_fast.py",
        "tests/test_retry.py",
        "tests/test_budget.py::test_the_budget_switched_off_keeps_the_per_task_backoff",
        "tests/test_stream.py",  # targets that join, bad lines, the end of the input
    ],
    "statuscli/engine/budget.py": ["tests/test_budget_edges.py", "tests/test_budget.py"],
    "statuscli/engine/pool.py": [
        "tests/test_engine_outcomes.py",
        "tests/test_pool.py",
        "tests/test_workers.py",
        "tests/test_watch.py",
        "tests/test_bad_network.py",  # the bulkhead (Lanes) against a provider that hangs
    ],
    "statuscli/http/client.py": [
        "tests/test_retry.py",
        "tests/test_transport.py",
        "tests/test_proxy.py",
        "tests/test_faults.py",
        "tests/test_http_client_edges.py",
        "tests/test_cli.py::test_request_contract",
    ],
    "statuscli/http/transport.py": [
        "tests/test_transport.py",
        "tests/test_proxy.py",  # proxy connection pools are guarded too
        "tests/test_workers.py",
        "tests/test_bad_network.py",
        "tests/test_faults.py",  # how each network failure is named
    ],
    "statuscli/app/stream.py": ["tests/test_stream.py", "tests/test_workers.py"],
    "statuscli/api/__init__.py": ["tests/test_api.py", "tests/test_bad_network.py"],
    "statuscli/api/client.py": ["tests/test_client.py", "tests/test_api.py"],
    "statuscli/api/arguments.py": ["tests/test_client.py", "tests/test_api.py"],
    "statuscli/session.py": [
        "tests/test_session.py",
        "tests/test_client.py",
        "tests/test_api.py",
        "tests/test_cli_and_api_agree.py",
        "tests/test_one_shot_timeout.py",
    ],
}

#: Functions (and classes) left alone: file writing and plumbing, not decisions.
EXCLUDE: dict[str, set[str]] = {
    "statuscli/config/files.py": {"write_key", "_set_in_table", "_readable_by_others"},
}

#: Seconds a mutant's tests may take before it counts as a timeout (the clean run takes a few).
TIMEOUT = 60.0
#: Names of calls whose string arguments are messages for people, not decisions.
_MESSAGE_CALLS = {"debug", "info", "warning", "error", "exception", "append"}

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Pow: ast.Mult,
}
_DELETABLE = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Return,
    ast.Raise,
    ast.If,
    ast.Continue,
    ast.Break,
)


@dataclass(frozen=True)
class Site:
    """One mutation: the index of its node in `ast.walk` order, the operator, and what it does."""

    node: int
    op: str
    arg: int
    line: int
    description: str


@dataclass
class Result:
    module: str
    line: int
    description: str
    source: str
    status: str
    seconds: float
    key: str


def _skipped_nodes(tree: ast.Module, excluded: set[str]) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, type-checking imports, messages, `__all__`."""
    skip: set[int] = set()

    def all_of(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in excluded:
            all_of(node)
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        if docstring and isinstance(first.value.value, str):  # type: ignore[union-attr]
            all_of(first)
        if isinstance(node, ast.AnnAssign):
            all_of(node.annotation)
        if isinstance(node, ast.arg):
            all_of(node.annotation)
        if isinstance(node, ast.FunctionDef):
            all_of(node.returns)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            all_of(node)
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            all_of(node)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("__all__", "log") for t in node.targets
        ):
            all_of(node)
        if isinstance(node, ast.keyword) and node.arg in ("help", "states", "simulator"):
            all_of(node)
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _MESSAGE_CALLS and isinstance(node.func, ast.Attribute) and name != "append":
                all_of(node)  # log.debug(...)
            elif name.endswith("Error") or name == "repr":
                for arg in node.args:  # the message of an exception; its keywords (code=) are contracts
                    if isinstance(arg, ast.Constant):
                        all_of(arg)
    return skip


def _is_table(node: ast.AST) -> bool:
    if isinstance(node, (ast.Dict, ast.Set)):
        return True
    if isinstance(node, (ast.Tuple, ast.List)) and isinstance(node.ctx, ast.Load) and node.elts:
        return all(isinstance(e, (ast.Constant, ast.Attribute, ast.Starred, ast.Name)) for e in node.elts)
    return False


def sites(tree: ast.Module, lines: list[str], excluded: set[str] = frozenset()) -> Iterator[Site]:  # type: ignore[assignment]
    """Every mutation of `tree`, in a stable order."""
    skip = _skipped_nodes(tree, set(excluded))
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        if line and "pragma: no mutate" in lines[line - 1]:
            continue
        if isinstance(node, ast.Compare):
            for i, cmp in enumerate(node.ops):
                if type(cmp) in _COMPARE_SWAPS:
                    new = _COMPARE_SWAPS[type(cmp)].__name__
                    which = f" (op {i + 1})" if len(node.ops) > 1 else ""
                    yield Site(index, "compare", i, line, f"{type(cmp).__name__} -> {new}{which}")
        elif isinstance(node, ast.BoolOp):
            yield Site(index, "boolop", 0, line, "and -> or" if isinstance(node.op, ast.And) else "or -> and")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield Site(index, "drop_not", 0, line, "not x -> x")
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
            new = _BINOP_SWAPS[type(node.op)].__name__
            yield Site(index, "binop", 0, line, f"{type(node.op).__name__} -> {new}")
        elif isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(None), type(...))):
            value = node.value
            if isinstance(value, bool):
                yield Site(index, "const", 0, line, f"{value} -> {not value}")
            elif isinstance(value, (int, float)):
                yield Site(index, "const", 0, line, f"{value!r} -> {_new_number(value)!r}")
            elif isinstance(value, str):
                yield Site(index, "const", 0, line, f"{value!r} -> {_new_string(value)!r}")
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
        ):
            yield Site(
                index, "minmax", 0, line, f"{node.func.id} -> {'max' if node.func.id == 'min' else 'min'}"
            )
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield Site(index, "negate", 0, line, "condition negated")
        if _is_table(node):
            count = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)  # type: ignore[attr-defined]
            for i in range(count):
                yield Site(index, "drop_entry", i, line, f"table entry {i} dropped")
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or isinstance(node, ast.Module):
                continue
            for i, stmt in enumerate(body):
                if isinstance(stmt, _DELETABLE) and id(stmt) not in skip:
                    if "pragma: no mutate" in lines[stmt.lineno - 1]:
                        continue
                    what = type(stmt).__name__
                    yield Site(index, f"delete_{field}", i, stmt.lineno, f"{what} statement deleted")


def _new_number(value: int | float) -> int | float:
    if isinstance(value, int):
        return value + 1
    return 1.0 if value == 0 else value * 2


def _new_string(value: str) -> str:
    return "XX" if not value else value + "XX"


def apply(source: str, site: Site) -> str:
    """The source of the module with `site`'s mutation applied."""
    tree = ast.parse(source)
    node = list(ast.walk(tree))[site.node]
    if site.op == "compare":
        assert isinstance(node, ast.Compare)
        node.ops[site.arg] = _COMPARE_SWAPS[type(node.ops[site.arg])]()
    elif site.op == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif site.op == "drop_not":
        assert isinstance(node, ast.UnaryOp)
        _replace(tree, node, node.operand)
    elif site.op == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = _BINOP_SWAPS[type(node.op)]()
    elif site.op == "const":
        assert isinstance(node, ast.Constant)
        value = node.value
        if isinstance(value, bool):
            node.value = not value
        elif isinstance(value, (int, float)):
            node.value = _new_number(value)
        else:
            node.value = _new_string(value)
    elif site.op == "minmax":
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        node.func.id = "max" if node.func.id == "min" else "min"
    elif site.op == "negate":
        assert isinstance(node, (ast.If, ast.While, ast.IfExp))
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif site.op == "drop_entry":
        if isinstance(node, ast.Dict):
            del node.keys[site.arg]
            del node.values[site.arg]
        else:
            del node.elts[site.arg]  # type: ignore[attr-defined]
    elif site.op.startswith("delete_"):
        body = getattr(node, site.op.removeprefix("delete_"))
        body[site.arg] = ast.Pass()
    else:  # pragma: no cover
        raise ValueError(site.op)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise ValueError("node not found")


def scopes(tree: ast.Module) -> dict[int, str]:
    """The qualified name of the function or class around each node (`Budget.answered`), by node id;
    a module-level node's scope is `<module>`."""
    found: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        found[id(node)] = scope
        inner = scope
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            inner = node.name if scope == "<module>" else f"{scope}.{node.name}"
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, "<module>")
    return found


def keys(module: str, tree: ast.Module, lines: list[str], found: list[Site]) -> list[str]:
    """Each mutant's name in results and in the equivalents list, by content, never by line number:
    the module, the function or class it is in, the change, and the text of the line it changes. The
    same change to the same text twice in one scope is told apart by ` #2`, ` #3`, in the order
    `ast.walk` meets them (outer expressions first, so not always left to right)."""
    where = scopes(tree)
    nodes = list(ast.walk(tree))
    named: list[str] = []
    seen: dict[str, int] = {}
    for site in found:
        text = lines[site.line - 1].strip() if site.line else ""
        node = nodes[site.node]
        if site.op.startswith("delete_"):  # the deleted statement's scope, not its parent's
            node = getattr(node, site.op.removeprefix("delete_"))[site.arg]
        key = f"{module}::{where[id(node)]}: {site.description} | {text}"
        seen[key] = seen.get(key, 0) + 1
        named.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return named


def load_equivalents() -> dict[str, str]:
    """`equivalent.txt`: `KEY  ## reason` per line (KEY as in results.json)."""
    path = HERE / "equivalent.txt"
    found: dict[str, str] = {}
    if path.exists():
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#") and "  ## " in raw:
                key, reason = raw.split("  ## ", 1)
                found[key.strip()] = reason.strip()
    return found


def module_keys(module: str, root: Path = ROOT) -> list[str]:
    """The names of every mutant of `module` (a path relative to `root`)."""
    source = (root / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    return keys(module, tree, lines, list(sites(tree, lines, EXCLUDE.get(module, set()))))


def missing_paths(root: Path = ROOT) -> list[str]:
    """The modules and test files `MODULES` names that are not in the tree (moved or renamed). A test
    may be named by its node id (`tests/test_x.py::test_y`): its file must exist."""
    named = list(MODULES) + [test.split("::")[0] for tests in MODULES.values() for test in tests]
    return [path for path in dict.fromkeys(named) if not (root / path).is_file()]


def report_missing(root: Path = ROOT) -> bool:
    """True (and each missing path on stderr) when `MODULES` names a file that does not exist."""
    missing = missing_paths(root)
    for path in missing:
        print(f"mutate.py: MODULES names {path}, which does not exist (moved or renamed?)", file=sys.stderr)
    return bool(missing)


def check_equivalents(equivalents: dict[str, str]) -> int:
    """1 (and each stale entry on stderr) when an equivalent mutant is no longer made from the source,
    or names a module that is not mutated, or when `MODULES` names a file that is not there; 0 when
    every entry still matches a mutant."""
    if report_missing():
        return 1
    made: set[str] = set()
    for module in MODULES:
        made.update(module_keys(module))
    stale = [key for key in equivalents if key not in made]
    for key in stale:
        print(f"stale equivalent mutant (no such mutant today): {key}", file=sys.stderr)
    print(f"{len(equivalents) - len(stale)} of {len(equivalents)} equivalent mutants match the source")
    return 1 if stale else 0


def snapshot(dest: Path) -> None:
    """Copy the working tree (package and tests; no venv, no git) to `dest`."""
    for name in ("statuscli", "tests", "pyproject.toml", "README.md", "CHANGELOG.md", "completions", "docs"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, dest / name)


def run_tests(work: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    """Run `tests` in a forked child against the tree in `work`; killed / survived / timeout."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: a fresh statuscli import from `work`
        # A run started in the background (`&`, nohup) inherits SIGINT ignored, and the tests of Ctrl-C
        # would then wait for their timeout: the child handles it as an interactive process does.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            os.chdir(work)
            os.environ["PYTHONPATH"] = str(work)  # the `status` subprocesses some tests start
            os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
            sys.path.insert(0, str(work))
            if not os.environ.get("MUTATION_VERBOSE"):
                log = os.open(work / "last-run.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(log, 1)
                os.dup2(log, 2)
            import pytest

            # Its own temporary directory: pytest prunes old ones in the shared default, under other runs.
            basetemp = str(work / ".pytest-tmp")
            args = ["-x", "-q", "-n", "0", "-p", "no:cacheprovider", "-o", "addopts=", "--basetemp", basetemp]
            args += tests
            code = pytest.main(args)
        except BaseException:
            code = 99
        os._exit(int(code))
    deadline = started + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("survived" if code == 0 else "killed"), time.monotonic() - started
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - started
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only modules whose path ends with this")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--check-equivalents",
        action="store_true",
        help="check that every mutant in equivalent.txt is still made from today's source; run nothing",
    )
    parser.add_argument("--sample", type=int, help="at most this many mutants per module (seeded)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shard", help="I/N: only every N-th mutant from the I-th (0-based), to split a run")
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--rerun",
        type=Path,
        help="a results file: run again its survivors and timeouts (tests were added since); keep the rest",
    )
    options = parser.parse_args()
    previous_rows: list[dict[str, object]] = []
    again: set[str] = set()
    if options.rerun:
        previous_rows = json.loads(options.rerun.read_text(encoding="utf-8"))["results"]
        again = {r["key"] for r in previous_rows if r["status"] in ("survived", "equivalent", "timeout")}

    modules = [m for m in MODULES if not options.module or any(m.endswith(s) for s in options.module)]
    unknown = [s for s in options.module or [] if not any(m.endswith(s) for m in MODULES)]
    if unknown:
        print(f"mutate.py: no mutated module ends with {', '.join(unknown)} (see MODULES)", file=sys.stderr)
        return 2
    equivalents = load_equivalents()
    if options.check_equivalents:
        return check_equivalents(equivalents)
    if report_missing():
        return 1
    # Import the heavy third-party packages once, here: each forked child starts with them loaded.
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    import pytest_httpserver  # noqa: F401
    import requests  # noqa: F401
    import rich.console  # noqa: F401
    import typer  # noqa: F401

    # The commit the snapshot is taken from ("+" when the tree had changes not committed yet).
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty=+"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="statuscli-mutation-") as tmp:
        work = Path(tmp)
        snapshot(work)
        for module in modules:
            path = work / module
            original = path.read_text(encoding="utf-8")
            lines = original.splitlines()
            tree = ast.parse(original)
            every = list(sites(tree, lines, EXCLUDE.get(module, set())))
            found = list(zip(keys(module, tree, lines, every), every, strict=True))
            if options.sample and len(found) > options.sample:
                found = sorted(
                    random.Random(options.seed).sample(found, options.sample), key=lambda f: f[1].node
                )
            if options.shard:
                shard, shards = (int(n) for n in options.shard.split("/"))
                found = found[shard::shards]
            if options.rerun:
                found = [(key, site) for key, site in found if key in again]
                if not found:
                    continue
            tests = MODULES[module]
            if options.list:
                for key, _site in found:
                    print(key)
                continue
            status, seconds = run_tests(work, tests, options.timeout * 3)
            if status != "survived":
                log = (work / "last-run.log").read_text(encoding="utf-8", errors="replace")
                print(f"{module}: the tests fail without any mutant ({status}); skipped", file=sys.stderr)
                print(log[-3000:], file=sys.stderr)
                continue
            print(f"{module}: {len(found)} mutants, clean run {seconds:.1f} s", file=sys.stderr)
            for key, site in found:
                try:
                    mutated = apply(original, site)
                except Exception as exc:
                    print(f"  cannot apply {key}: {exc}", file=sys.stderr)
                    continue
                path.write_text(mutated, encoding="utf-8")
                try:
                    status, seconds = run_tests(work, tests, options.timeout)
                finally:
                    path.write_text(original, encoding="utf-8")
                if status == "survived" and key in equivalents:
                    status = "equivalent"
                text = lines[site.line - 1].strip() if site.line else ""
                results.append(
                    Result(module, site.line, site.description, text, status, round(seconds, 2), key)
                )
                if status in ("survived", "timeout"):
                    print(f"  {status}: {key}", file=sys.stderr)
                progress = options.output.with_suffix(".partial.json")
                progress.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    if options.list:
        return 0
    rows = [asdict(r) for r in results]
    if options.rerun:  # the fresh verdicts replace every earlier row of the same (unnumbered) key
        redone = {r["key"] for r in rows}
        rows = [r for r in previous_rows if str(r["key"]) not in redone] + rows
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "sample": options.sample,
        "seed": options.seed if options.sample else None,
        "rerun_of": str(options.rerun) if options.rerun else None,
        "results": rows,
    }
    options.output.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(summary(record))
    return 0


def summary(record: dict[str, object]) -> str:
    """A Markdown table of the score per module, and the survivors."""
    results = [Result(**r) for r in record["results"]]  # type: ignore[attr-defined]
    lines = [
        f"Run {record['date']} at commit {record['commit']}"
        + (f", sample of {record['sample']} per module (seed {record['seed']})" if record["sample"] else ""),
        "",
        "| module | mutants | killed | timeout | equivalent | survived | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = {"n": 0, "killed": 0, "timeout": 0, "equivalent": 0, "survived": 0}
    for module in dict.fromkeys(r.module for r in results):
        mine = [r for r in results if r.module == module]
        counts = {
            s: sum(1 for r in mine if r.status == s) for s in ("killed", "timeout", "equivalent", "survived")
        }
        total["n"] += len(mine)
        for s, n in counts.items():
            total[s] += n
        lines.append(_row(module, len(mine), counts))
    lines.append(_row("**total**", total["n"], total))
    survivors = [r for r in results if r.status == "survived"]
    if survivors:
        lines += ["", "Survivors:", ""] + [f"- `{r.key}`" for r in survivors]
    timeouts = [r for r in results if r.status == "timeout"]
    if timeouts:
        lines += ["", "Timeouts (killed, but by a hang):", ""] + [f"- `{r.key}`" for r in timeouts]
    return "\n".join(lines)


def _row(name: str, n: int, counts: dict[str, int]) -> str:
    scored = n - counts["equivalent"]
    caught = counts["killed"] + counts["timeout"]
    score = f"{100.0 * caught / scored:.1f}%" if scored else "-"
    return (
        f"| {name} | {n} | {counts['killed']} | {counts['timeout']} | {counts['equivalent']} "
        f"| {counts['survived']} | {score} |"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--summary":
        print(summary(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
        raise SystemExit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "--merge":  # --merge OUT IN... : one results file of several
        parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[3:]]
        merged = dict(parts[-1], results=[r for part in parts for r in part["results"]])
        Path(sys.argv[2]).write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
        print(summary(merged))
        raise SystemExit(0)
    raise SystemExit(main())
