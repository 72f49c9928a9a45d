"""Mutation testing of the code that must never be wrong: what `make mutate` runs.

    python -m tests.mutate                    every area (a few tens of minutes on 2 cores)
    python -m tests.mutate sending allow-list  some areas
    python -m tests.mutate --list             the mutants, without running anything
    python -m tests.mutate --line 57          only the mutants on a line (with one area)

Each mutant is one small change to one of the functions below (a comparison turned round, an
`and` made an `or`, a keyword argument or a `raise` left out, a constant changed, …). For each,
the tests that guard that area run against a copy of the project holding the mutant; a failing
test kills it, a mutant under which every test passes survives and is listed. The tests run in
the order given, with `-x`, so most mutants die within seconds; a survivor costs a full run.

Why not mutmut: mutmut 3 rewrites every function of a mutated module into a trampoline under
mutants/ and runs the mutants in forks of one pytest process. These tests make a database per
process and start the simulator's threads and a live dispatcher; making mutmut hold with them
(settings, rootdir, the copied templates and static files, the forks) looked longer than this
whole job, so it was not tried at length. This script only needs the standard library: each
mutant is an ordinary pytest run, as `make test` makes one, in one of two copies of the project
(two runs at once, as the two cores allow). A test that failed must fail again alone before the
mutant counts as killed (the dispatcher tests count seconds). Log calls, docstrings and
f-strings (messages) are not mutated; a run that outlasts its timeout counts as "timed out".
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
WORKERS = 2  # pytest runs at once: the machine has two cores


@dataclass(frozen=True)
class Area:
    path: str
    names: tuple[str, ...]  # the functions (or module-level constants) to mutate
    tests: tuple[str, ...]  # quickest and closest first: with -x, the first failure ends a run


AREAS = {
    "reconciliation": Area(
        "gallery/reconciliation.py",
        ("find_task",),
        ("tests/test_find_task.py", "tests/test_reconciliation.py", "tests/test_dispatcher.py"),
    ),
    "sending": Area(
        "gallery/lifecycle.py",
        ("claim_for_submit", "task_created", "submit_answered", "reconciled"),
        (
            "tests/test_submit_outcomes.py",
            "tests/test_reconciliation.py",
            "tests/test_dispatcher.py",
            "tests/test_fair_queue.py",
        ),
    ),
    "permissions": Area(
        "gallery/permissions.py",
        (),  # the whole module
        (
            "tests/test_permissions_rules.py",
            "tests/security/test_ids.py",
            "tests/views/test_files.py",
            "tests/test_url_permissions.py",
        ),
    ),
    "allow-list": Area(
        "gallery/downloads.py",
        ("LOOPBACK_HOSTS", "host_allowed", "fetch_image"),
        (
            "tests/test_host_allow_list.py",
            "tests/security/test_download_safety.py",
            "tests/test_downloads.py",
            "tests/test_download_timeout.py",
        ),
    ),
    "budgets": Area(
        "gallery/budgets.py",
        ("month_start", "_summed", "_month_of", "standings", "create", "note_billed"),
        ("tests/test_budgets.py", "tests/views/test_team_budget.py"),
    ),
}


# Survivors that change no behaviour, each with the reason: listed apart, and not a failure of
# `make mutate`. Keyed by file and description (which name the code, so an edit there drops
# them), and where a description is not unique in its file, by a piece of the mutated line.
EQUIVALENT: dict[tuple[str, ...], str] = {
    (
        "gallery/reconciliation.py",
        "argument task_id__in= left out: `Generation.objects.filter(task_id__in=[task.task_id for"
        " task in liste…` → `Generation.objects.filter()`",
    ): "Every saved task id instead of the listed ones: `task_id in owned` is asked only of"
    " listed tasks, so it answers the same; only the query is larger.",
    (
        "gallery/lifecycle.py",
        "number changed: `2` → `3`",
    ): "The wait before the first look in the task list grows from 2 to 3 POST timeouts: still"
    " after the POST is answered or given up, which is all it must be (a test holds that).",
    (
        "gallery/lifecycle.py",
        "number changed: `10` → `11`",
    ): "As above: one second more of margin before the first look in the task list.",
    (
        "gallery/lifecycle.py",
        "argument status= left out: `Q( status=Status.FAILED, error_code=ErrorCode.SUBMIT_OUTCOME"
        "_UNKNOWN )` → `Q(error_code=ErrorCode.SUBMIT_OUTCOME_UNKNOWN)`",
    ): "Only `_fail` sets SubmitOutcomeUnknown, and only with FAILED (task_created clears it), so"
    " no record of another status carries that code.",
    (
        "gallery/lifecycle.py",
        "comparison turned round: `now - record.submitted_at > timedelta(seconds=settings.GENERATI"
        "ON_MAX…` → `now - record.submitted_at >= timedelta(seconds=settings.GENERATION_MA…`",
    ): "Differs only at the very microsecond of the age limit.",
    (
        "gallery/lifecycle.py",
        'string changed: `"DashScope\'s task list never showed whether it arrived."` →'
        ' `"XXDashScope\'s task list never showed whether it arrived.XX"`',
    ): "Wording of the card's small print only: what happens to the record, and the plain words"
    " people read (explained from the error code, which tests hold), are unchanged.",
    (
        "gallery/downloads.py",
        "string changed: `\"\"` → `'XXXX'`",
    ): "A URL without a host is then read as host 'xxxx' instead of '': no allow-list entry"
    " that refuses one allows the other, short of a pattern written for 'xxxx'.",
    (
        "gallery/downloads.py",
        "string changed: `\"[]\"` → `'XX[]XX'`",
    ): "The host is lower-cased before the strip, so it never holds the upper-case X added.",
    (
        "gallery/downloads.py",
        "string changed: `\".\"` → `'XX.XX'`",
        '.lstrip(".")',
    ): "The entry is lower-cased before the strip, so it never holds the upper-case X added.",
    (
        "gallery/downloads.py",
        "number changed: `5` → `6`",
    ): "One second more to connect: the guarantee is that a silent host is given up, to be"
    " tried again (tests/test_download_timeout.py), not the exact second.",
    (
        "gallery/downloads.py",
        "number changed: `30` → `31`",
    ): "One second more of read timeout; as above.",
    (
        "gallery/downloads.py",
        "string changed: `\"The image link had expired.\"` → `'XXThe image link had expired.XX'`",
    ): "Wording of the card's small print only: the error code ResultExpired, which tests"
    " hold, gives the plain words people read.",
    (
        "gallery/downloads.py",
        "string changed: `\"Too many redirects.\"` → `'XXToo many redirects.XX'`",
    ): "Wording of the card's small print only; the refusal itself is held by a test.",
}


@dataclass
class Mutant:
    area: str
    path: str
    line: int
    description: str
    source: str  # the whole mutated module
    code: str = ""  # the line it changes, as it was
    outcome: str = ""  # killed, survived, timed out
    seconds: float = 0.0
    detail: str = field(default="", repr=False)


# -- making mutants -------------------------------------------------------------------------

COMPARE_SWAPS = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


def _variants(node: ast.AST) -> list[tuple[ast.AST | str, str]]:
    """Replacements for one node: a new node (or source text), and what the change is."""
    out: list[tuple[ast.AST | str, str]] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARE_SWAPS:
                new = copy.deepcopy(node)
                new.ops[i] = COMPARE_SWAPS[type(op)]()
                out.append((new, "comparison turned round"))
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append((new, "and/or swapped"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append((node.operand, "`not` dropped"))
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        new = copy.deepcopy(node)
        new.op = BINOP_SWAPS[type(node.op)]()
        out.append((new, "arithmetic swapped"))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append((ast.Constant(not value), "boolean flipped"))
        elif isinstance(value, int | float):
            out.append((ast.Constant(value + 1), "number changed"))
        elif isinstance(value, str):
            out.append((ast.Constant(f"XX{value}XX"), "string changed"))
    elif isinstance(node, ast.Call):
        for i in range(len(node.keywords)):
            if node.keywords[i].arg is None:
                continue
            new = copy.deepcopy(node)
            del new.keywords[i]
            out.append((new, f"argument {node.keywords[i].arg}= left out"))
    elif isinstance(node, ast.Return) and not (
        node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        out.append(("return None", "returns None"))
    elif isinstance(node, ast.Raise | ast.Expr):
        out.append(("pass", "statement left out"))
    elif isinstance(node, ast.Continue):
        out.append(("break", "continue made break"))
    return out


def _skipped(node: ast.AST) -> bool:
    """Docstrings and log calls: words, not behaviour."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    call = node.value if isinstance(node, ast.Expr) else node
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "log"
    )


def _targets(tree: ast.Module, names: tuple[str, ...]) -> list[ast.AST]:
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not names or node.name in names:
                out.append(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and names:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in names for t in targets):
                out.append(node.value)
    return out


def _walk(node: ast.AST):
    """Every node under `node` except those `_skipped` (and what they hold), and not inside
    f-strings (messages; and Python 3.11 gives their parts the whole f-string's position)."""
    if _skipped(node):
        return
    if isinstance(node, ast.JoinedStr):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(node, ast.FunctionDef) and child in node.decorator_list:
            continue
        yield from _walk(child)


def _offset(lines: list[str], line: int, col: int) -> int:
    # ast columns count UTF-8 bytes
    return sum(len(x) for x in lines[: line - 1]) + len(lines[line - 1].encode()[:col].decode())


def make_mutants(area_name: str) -> list[Mutant]:
    area = AREAS[area_name]
    text = (ROOT / area.path).read_text()
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    original = ast.dump(tree)
    mutants = []
    for target in _targets(tree, area.names):
        for node in _walk(target):
            if not hasattr(node, "end_lineno") or isinstance(node, ast.arguments):
                continue
            start = _offset(lines, node.lineno, node.col_offset)
            end = _offset(lines, node.end_lineno, node.end_col_offset)
            for replacement, what in _variants(node):
                new_text = replacement if isinstance(replacement, str) else ast.unparse(replacement)
                source = text[:start] + new_text + text[end:]
                try:
                    if ast.dump(ast.parse(source)) == original:
                        continue
                except SyntaxError:
                    continue
                old_text = " ".join(text[start:end].split())
                mutants.append(
                    Mutant(
                        area_name,
                        area.path,
                        node.lineno,
                        f"{what}: `{_short(old_text)}` → `{_short(' '.join(new_text.split()))}`",
                        source,
                        code=lines[node.lineno - 1].strip(),
                    )
                )
    return mutants


def _equivalent(mutant: Mutant) -> str:
    """Why this mutant changes no behaviour, if EQUIVALENT says it does not."""
    for key, reason in EQUIVALENT.items():
        path, description, *piece = key
        if (path, description) == (mutant.path, mutant.description):
            if all(p in mutant.code for p in piece):
                return reason
    return ""


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- running them ---------------------------------------------------------------------------


def _copy_project(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    ignore = shutil.ignore_patterns(".venv", ".git", "mutants", "var", "__pycache__", "*.pyc")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def _env(copy_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy_root)  # the copy's gallery, not the editable install's
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a same-sized mutant must never reuse a stale .pyc
    return env


def _pytest(copy_root: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *tests]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=copy_root,
            env=_env(copy_root),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timed out", time.monotonic() - started, ""
    seconds = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    detail = next((x for x in lines if x.startswith("FAILED") or x.startswith("ERROR")), "")
    outcome = "survived" if done.returncode == 0 else "killed"
    return outcome, seconds, detail or "".join(lines[-1:])


def _judge(root: Path, mutant: Mutant, timeouts: dict[str, float]) -> tuple[str, float, str]:
    """Run the area's tests on the mutant. A test that failed must fail again alone: the
    dispatcher tests count queries and seconds, and two runs at once can slow one past them."""
    area = AREAS[mutant.area]
    outcome, seconds, detail = _pytest(root, area.tests, timeouts[mutant.area])
    if outcome == "killed" and detail.startswith(("FAILED ", "ERROR ")):
        test = detail.split(" ", 1)[1].split(" - ")[0]
        again, more, _ = _pytest(root, (test,), timeouts[mutant.area])
        seconds += more
        if again == "survived":  # a flaky failure: the whole selection once more decides
            outcome, more, detail = _pytest(root, area.tests, timeouts[mutant.area])
            seconds += more
    return outcome, seconds, detail


def _check_copy(copy_root: Path) -> None:
    probe = "import gallery; print(gallery.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=copy_root,
        env=_env(copy_root),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if Path(found).resolve() != (copy_root / "gallery" / "__init__.py").resolve():
        raise SystemExit(f"the copy imports {found}, not its own gallery")


def run(areas: list[str], mutants: list[Mutant], baselines: bool = True, workers: int = 2) -> None:
    # Copies of this run's own: two runs at once (a re-run beside a long one) never share one.
    copies = [WORK / f"run-{os.getpid()}" / f"project-{i}" for i in range(workers)]
    for root in copies:
        _copy_project(root)
        _check_copy(root)

    timeouts = {}

    def baseline(name: str, root: Path) -> None:  # the tests must pass unmutated; how long?
        outcome, seconds, detail = _pytest(root, AREAS[name].tests, timeout=1800)
        if outcome != "survived":
            print(f"{name}: the tests fail without any mutant ({detail})", flush=True)
            return
        timeouts[name] = max(3 * seconds, seconds + 60)
        print(f"{name}: tests pass unmutated in {seconds:.0f} s", flush=True)

    for name in areas:  # one at a time: the dispatcher tests' timings need the cores
        if baselines:
            baseline(name, copies[0])
        else:
            timeouts[name] = 600
    if set(timeouts) != set(areas):
        raise SystemExit("no mutant was run")

    todo: queue.Queue[Mutant] = queue.Queue()
    for mutant in mutants:
        todo.put(mutant)
    lock = threading.Lock()
    count = [0]

    def worker(root: Path) -> None:
        while True:
            try:
                mutant = todo.get_nowait()
            except queue.Empty:
                return
            target = root / mutant.path
            original = target.read_text()
            target.write_text(mutant.source)
            try:
                mutant.outcome, mutant.seconds, mutant.detail = _judge(root, mutant, timeouts)
            finally:
                target.write_text(original)
            with lock:
                count[0] += 1
                print(
                    f"[{count[0]}/{len(mutants)}] {mutant.outcome:9} {mutant.seconds:5.0f} s  "
                    f"{mutant.path}:{mutant.line} {mutant.description}",
                    flush=True,
                )

    threads = [threading.Thread(target=worker, args=(root,)) for root in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shutil.rmtree(WORK / f"run-{os.getpid()}")


def report(areas: list[str], mutants: list[Mutant], seconds: float) -> str:
    out = ["", f"{'area':15} {'mutants':>7} {'killed':>7} {'survived':>8} {'timed out':>9}"]
    for name in areas:
        mine = [m for m in mutants if m.area == name]
        counts = [sum(m.outcome == o for m in mine) for o in ("killed", "survived", "timed out")]
        out.append(f"{name:15} {len(mine):>7} {counts[0]:>7} {counts[1]:>8} {counts[2]:>9}")
    out.append(f"in {seconds / 60:.1f} min")
    survivors = [m for m in mutants if m.outcome == "survived"]
    equivalent = [m for m in survivors if _equivalent(m)]
    if equivalent:
        out.append("\nsurvivors that change no behaviour:")
        for m in equivalent:
            out.append(f"  {m.area}: {m.path}:{m.line} {m.description}")
            out.append(f"      {_equivalent(m)}")
    if unexplained := [m for m in survivors if m not in equivalent]:
        out.append("\nsurvivors:")
        out += [f"  {m.area}: {m.path}:{m.line} {m.description}" for m in unexplained]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help="some of: " + ", ".join(AREAS))
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--line", type=int, action="append", help="only mutants on these lines")
    parser.add_argument("--workers", type=int, default=WORKERS, help="pytest runs at once")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated runs (a re-run)"
    )
    args = parser.parse_args()
    areas = args.areas or list(AREAS)
    if unknown := set(areas) - set(AREAS):
        parser.error(f"no area {', '.join(sorted(unknown))}")
    mutants = [m for name in areas for m in make_mutants(name)]
    if args.line:
        mutants = [m for m in mutants if m.line in args.line]
    if args.list:
        for m in mutants:
            print(f"{m.area}: {m.path}:{m.line} {m.description}")
        print(f"{len(mutants)} mutants")
        return 0
    started = time.monotonic()
    run(areas, mutants, baselines=not args.no_baseline, workers=args.workers)
    text = report(areas, mutants, time.monotonic() - started)
    print(text)
    WORK.mkdir(exist_ok=True)
    (WORK / "report.txt").write_text(text + "\n")
    survivors = [m for m in mutants if m.outcome == "survived"]
    return 1 if any(not _equivalent(m) for m in survivors) else 0


if __name__ == "__main__":
    sys.exit(main())
