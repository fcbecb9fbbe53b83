"""Install every distribution's wheel ALONE in a fresh venv and run its own tests there.

A dependency a package uses but does not declare works in the shared workspace venv and breaks for
users; here it fails. For each package: build wheels, create a venv from the running interpreter,
install the package's wheel, the wheels of its first-party closure (local files, so no index is ever
asked for a first-party name) and its `test` dependency group, constrained to uv.lock; then run
`python -m pytest <pkg>/tests` from the repository root and check that the `legion` modules the
tests imported came from that venv, none from the source tree.

    python tools/isolation.py                       # every package, 2 at a time
    python tools/isolation.py --package lex-ping    # one package (repeatable)
    python tools/isolation.py --wheels dist/        # use wheels already built there
    python tools/isolation.py --json                # results as JSON

uv comes from $UV, then PATH, then `python -m uv`; uv never downloads a Python here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_layout import has_test_file, wheel_problems
from workspace import (
    DEFAULT_ROOT,
    Distribution,
    Workspace,
    WorkspaceError,
    canonical,
)

INSTALL_TIMEOUT = 900
TEST_TIMEOUT = 1800
GUARD_MODULE = "legion_isolation_guard"
# A pytest plugin loaded into each run: it records outcomes and fails the session when any
# `legion` module (or namespace portion) was imported from the checkout instead of the venv.
# (Tests may add their own portions elsewhere, e.g. a fake site dir under tmp_path.)
GUARD_SOURCE = '''\
"""Written by tools/isolation.py: prove the tests imported the installed wheel, not the sources."""
import json
import sys
import sysconfig
from pathlib import Path


def _site_dirs():
    paths = sysconfig.get_paths()
    return {Path(paths[key]).resolve() for key in ("purelib", "platlib")}


def _legion_locations():
    for name, module in list(sys.modules.items()):
        if name == "legion" or name.startswith("legion."):
            portions = getattr(module, "__path__", None) or []
            for location in [getattr(module, "__file__", None), *portions]:
                if location:
                    yield name, Path(location).resolve()


def _under(path, directory):
    return path == directory or directory in path.parents


def pytest_addoption(parser):
    parser.addoption("--isolation-report", help="write the guard's JSON report here")
    parser.addoption("--isolation-checkout", help="the checkout no legion module may come from")


def pytest_sessionfinish(session, exitstatus):
    site = _site_dirs()
    checkout = Path(session.config.getoption("isolation_checkout")).resolve()
    inside, outside = set(), []
    for name, path in _legion_locations():
        if any(_under(path, d) for d in site):
            inside.add(name)
        elif _under(path, checkout):
            outside.append(f"{name} from {path}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = {k: len(v) for k, v in (reporter.stats.items() if reporter else []) if k}
    report = {"inside": sorted(inside), "outside": sorted(set(outside)), "stats": stats}
    Path(session.config.getoption("isolation_report")).write_text(json.dumps(report))
    if outside:
        if reporter:
            reporter.write_line("legion modules imported from the checkout, not the venv:")
            for line in sorted(set(outside)):
                reporter.write_line(f"  {line}")
        session.exitstatus = 1
'''
# Prints the distributions installed in a venv as JSON (run with that venv's python).
LIST_INSTALLED = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted({d.metadata['Name']: d.version for d in m.distributions()}.items())))"
)


class IsolationError(Exception):
    """Stops the whole run (no uv, a build that fails); the message names the fix."""


@dataclass
class Result:
    """What happened to one package."""

    package: str
    ok: bool = False
    reason: str = ""
    wheel: str = ""
    first_party: int = 0
    third_party: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    seconds: float = 0.0
    output: str = ""

    @property
    def deps(self) -> str:
        """The 'deps installed' column."""
        if not (self.first_party or self.third_party):
            return "-"
        return f"{self.first_party} first-party + {self.third_party}"


@dataclass(frozen=True)
class Context:
    """Everything a package run needs, shared by all of them."""

    uv: tuple[str, ...]
    workspace: Workspace
    wheels: dict[str, Path]
    constraints: Path
    scratch: Path
    env: dict[str, str]


# --- uv and subprocesses -----------------------------------------------------------------------


def find_uv(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The uv command: $UV, then `uv` on PATH, then `python -m uv`; IsolationError otherwise."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("UV"):
        return (environ["UV"],)
    on_path = shutil.which("uv", path=environ.get("PATH"))
    if on_path:
        return (on_path,)
    if importlib.util.find_spec("uv") is not None:
        return (sys.executable, "-m", "uv")
    raise IsolationError(
        "uv not found: set UV=/path/to/uv, put uv on PATH, or `python -m pip install uv==0.13.8`"
    )


def child_env() -> dict[str, str]:
    """The environment for uv and the venvs: no Python downloads, nothing leaking from this venv."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(
    command: Sequence[str], cwd: Path, env: dict[str, str], timeout: int = INSTALL_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing stdout and stderr together; a timeout becomes exit code 124."""
    try:
        return subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = error.output.decode() if isinstance(error.output, bytes) else error.output or ""
        return subprocess.CompletedProcess(
            list(command), 124, output + f"\n(timed out after {timeout}s)"
        )


def show(command: Sequence[str]) -> str:
    """A command line for messages."""
    return " ".join(command)


# --- wheels and constraints --------------------------------------------------------------------


def wheel_stem(dist: Distribution) -> str:
    """The wheel filename prefix for a distribution (PEP 427 escaping)."""
    return f"{re.sub(r'[-_.]+', '_', dist.name).lower()}-{dist.version}-"


def find_wheel(directory: Path, dist: Distribution) -> Path | None:
    """The wheel of `dist` at its in-repo version in `directory`, if there is exactly one."""
    matches = sorted(
        p for p in directory.glob("*.whl") if p.name.lower().startswith(wheel_stem(dist))
    )
    return matches[0] if len(matches) == 1 else None


def build_wheels(
    uv: Sequence[str], ws: Workspace, names: Iterable[str], out: Path, env: dict[str, str]
) -> None:
    """Build wheels for `names` into `out` (all at once when every package is wanted)."""
    names = sorted(names)
    base = [*uv, "build", "--wheel", "--out-dir", str(out), "--python", sys.executable]
    if set(names) == set(ws.distributions):
        commands = [[*base, "--all-packages"]]
    else:
        commands = [[*base, "--package", ws.get(n).name] for n in names]
    for command in commands:
        result = run(command, ws.root, env)
        if result.returncode != 0:
            raise IsolationError(f"`{show(command)}` failed:\n{result.stdout}\nfix the build first")


def collect_wheels(
    uv: Sequence[str],
    ws: Workspace,
    names: Iterable[str],
    scratch: Path,
    given: Path | None,
    env: dict[str, str],
) -> dict[str, Path]:
    """name -> wheel for every name: taken from `given` when there, built into scratch otherwise."""
    names = sorted(names)
    wheels: dict[str, Path] = {}
    if given is not None:
        wheels = {n: w for n in names if (w := find_wheel(given, ws.get(n)))}
    missing = [n for n in names if n not in wheels]
    if missing:
        out = scratch / "wheels"
        build_wheels(uv, ws, missing, out, env)
        for name in missing:
            wheel = find_wheel(out, ws.get(name))
            if wheel is None:
                raise IsolationError(
                    f"no wheel for {name} in {out} after the build; check its pyproject"
                )
            wheels[name] = wheel
    return wheels


def export_constraints(uv: Sequence[str], ws: Workspace, out: Path, env: dict[str, str]) -> Path:
    """uv.lock's third-party pins as a constraints file, so each venv gets the locked versions."""
    command = [
        *uv,
        "export",
        "--all-packages",
        "--all-groups",
        "--frozen",
        "--no-hashes",
        "--no-emit-workspace",
        "--no-header",
        "--no-annotate",
        "--output-file",
        str(out),
    ]
    result = run(command, ws.root, env)
    if result.returncode != 0:
        raise IsolationError(f"`{show(command)}` failed:\n{result.stdout}\nfix: `uv lock`")
    return out


# --- one package -------------------------------------------------------------------------------


def install_set(ws: Workspace, key: str) -> list[str]:
    """The package, its first-party runtime and test deps, and their runtime deps, transitively."""
    return ws.closure([key, *ws.first_party_deps(key, include_test=True)], include_test=False)


def install_command(ctx: Context, dist: Distribution, python: Path) -> list[str]:
    """uv pip install: local wheels for every first-party name, the test group, constraints."""
    ws = ctx.workspace
    wheels = [str(ctx.wheels[key]) for key in install_set(ws, dist.key)]
    tests = [str(r) for r in dist.test_dependencies if not ws.is_first_party(r.name)]
    return [
        *ctx.uv,
        "pip",
        "install",
        "--python",
        str(python),
        "--strict",
        "--constraints",
        str(ctx.constraints),
        *wheels,
        *tests,
    ]


def preflight(ws: Workspace, dist: Distribution) -> tuple[str, str]:
    """(reason, detail) why `dist` cannot be tested alone, found before installing anything."""
    if not has_test_file(dist.tests):
        return "no tests", f"{dist.rel}/tests has no test_*.py file; add the package's tests there"
    if not any(r.key == "pytest" for r in dist.test_dependencies):
        return "no pytest in the test group", (
            f'add "pytest>=8" to [dependency-groups] test in {dist.rel}/pyproject.toml'
        )
    for key in install_set(ws, dist.key):
        for req in ws.first_party_requirements(ws.distributions[key], include_test=key == dist.key):
            if req.key not in ws.distributions:
                return "unknown first-party dependency", (
                    f"{key} requires {req.name}, which is not in this repository; an index would "
                    "serve a stranger's package of that name. Remove it or add the package"
                )
    return "", ""


def check_installed(
    ws: Workspace, dist: Distribution, installed: dict[str, str]
) -> tuple[str, int]:
    """('' or why the venv is wrong, how many first-party dists besides `dist` got installed)."""
    closure = set(install_set(ws, dist.key))
    first_party = {canonical(n): v for n, v in installed.items() if ws.is_first_party(n)}
    strangers = sorted(set(first_party) - closure)
    if strangers:
        return f"first-party names installed from outside the closure: {', '.join(strangers)}", 0
    for key in sorted(closure):
        want = ws.distributions[key].version
        if first_party.get(key) != want:
            return f"{key} {first_party.get(key)} installed, expected the in-repo {want}", 0
    return "", len(first_party) - 1


def pytest_command(python: Path, dist: Distribution, report: Path, checkout: Path) -> list[str]:
    """pytest on the package's tests, with the import guard; -P keeps the cwd off sys.path."""
    return [
        str(python),
        "-P",
        "-m",
        "pytest",
        f"{dist.rel}/tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        GUARD_MODULE,
        f"--isolation-report={report}",
        f"--isolation-checkout={checkout}",
    ]


def test_package(ctx: Context, name: str) -> Result:
    """Create the venv, install, verify what got installed, run the tests."""
    ws = ctx.workspace
    dist = ws.get(name)
    started = time.monotonic()
    result = Result(dist.name, wheel=ctx.wheels[dist.key].name)
    try:
        _test_package(ctx, dist, result)
    finally:
        result.seconds = round(time.monotonic() - started, 1)
    return result


def _test_package(ctx: Context, dist: Distribution, result: Result) -> None:
    """The steps of test_package, filling `result`; stops at the first failing step."""
    ws = ctx.workspace
    result.reason, result.output = preflight(ws, dist)
    if result.reason:
        return
    wheels = [ctx.wheels[key] for key in install_set(ws, dist.key)]
    bad_wheel = [str(p) for wheel in wheels for p in wheel_problems(wheel)]
    if bad_wheel:
        result.reason, result.output = "wheel ships namespace files", "\n".join(bad_wheel)
        return
    venv = ctx.scratch / "venvs" / dist.key
    python = venv / "bin" / "python"
    for step, command in (
        ("venv failed", [*ctx.uv, "venv", "--no-project", "--python", sys.executable, str(venv)]),
        ("install failed", install_command(ctx, dist, python)),
    ):
        done = run(command, ws.root, ctx.env)
        if done.returncode != 0:
            result.reason, result.output = step, f"$ {show(command)}\n{done.stdout}"
            return
    listed = run([str(python), "-c", LIST_INSTALLED], ws.root, ctx.env)
    installed = dict(json.loads(listed.stdout)) if listed.returncode == 0 else {}
    wrong, result.first_party = check_installed(ws, dist, installed)
    result.third_party = sum(1 for n in installed if not ws.is_first_party(n))
    if wrong:
        result.reason, result.output = "wrong first-party install", wrong
        return
    _run_tests(ctx, dist, python, result)


def _run_tests(ctx: Context, dist: Distribution, python: Path, result: Result) -> None:
    """Run pytest in the venv with the guard plugin and read back its report."""
    report = ctx.scratch / "reports" / f"{dist.key}.json"
    env = {**ctx.env, "PYTHONPATH": str(ctx.scratch / "guard")}
    command = pytest_command(python, dist, report, ctx.workspace.root)
    done = run(command, ctx.workspace.root, env, timeout=TEST_TIMEOUT)
    data = json.loads(report.read_text()) if report.is_file() else {}
    stats = data.get("stats", {})
    result.passed, result.failed, result.errors = (
        stats.get(key, 0) for key in ("passed", "failed", "error")
    )
    result.output = done.stdout
    if data.get("outside"):
        result.reason = "imported legion from the checkout"
    elif done.returncode == 5:
        result.reason = "no tests collected"
    elif done.returncode != 0:
        result.reason = failure_reason(done.returncode, done.stdout)
    elif not data:
        result.reason = "the import guard did not run"
    elif not data.get("inside"):
        result.reason = "tests imported no legion module from the venv"
    else:
        result.ok = True


PYTEST_EXITS = {1: "tests failed", 2: "collection errors", 3: "pytest internal error", 4: "usage"}


def failure_reason(returncode: int, output: str) -> str:
    """A short reason for a failed pytest run; a missing module most likely is an undeclared dep."""
    reason = PYTEST_EXITS.get(returncode, f"pytest exit {returncode}")
    missing = sorted(set(re.findall(r"ModuleNotFoundError: No module named '([^']+)'", output)))
    if missing:
        reason += f"; missing module {', '.join(missing)} (an undeclared dependency?)"
    return reason


# --- the whole run -----------------------------------------------------------------------------


def prepare(
    ws: Workspace, names: list[str], scratch: Path, given: Path | None, say: Callable[[str], None]
) -> Context:
    """Find uv, build or collect the wheels, export the constraints, write the guard plugin."""
    uv, env = find_uv(), child_env()
    needed = sorted({key for name in names for key in install_set(ws, name)})
    say(f"wheels for {len(needed)} distribution(s): {', '.join(needed)}")
    wheels = collect_wheels(uv, ws, needed, scratch, given, env)
    if given is not None:
        taken = sorted(k for k, w in wheels.items() if w.parent == given)
        say(f"taken from {given}: {', '.join(taken) or 'none'}; the rest built with {show(uv)}")
    say("constraints from uv.lock (uv export --frozen)")
    constraints = export_constraints(uv, ws, scratch / "constraints.txt", env)
    guard = scratch / "guard"
    guard.mkdir()
    (guard / f"{GUARD_MODULE}.py").write_text(GUARD_SOURCE, encoding="utf-8")
    (scratch / "reports").mkdir()
    return Context(uv, ws, wheels, constraints, scratch, env)


def run_all(ctx: Context, names: list[str], jobs: int, progress: Progress) -> list[Result]:
    """Test `names` in a pool of `jobs` workers, reporting each completion."""
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(test_package, ctx, name): name for name in names}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as error:  # a bug here must not hide the other packages' results
                result = Result(futures[future], reason="crashed", output=repr(error))
            results.append(result)
            progress.advance(result)
    return sorted(results, key=lambda r: r.package)


class Progress:
    """A rich progress bar on stderr when rich is importable, plain lines otherwise."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self._bar = None
        if enabled and importlib.util.find_spec("rich") is not None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("isolation"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._task = self._bar.add_task("isolation", total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def say(self, message: str) -> None:
        """A status line."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(f"==> {message}", highlight=False)
        else:
            print(f"==> {message}", file=sys.stderr, flush=True)

    def advance(self, result: Result) -> None:
        """One package finished."""
        self.done += 1
        status = "ok" if result.ok else f"FAILED ({result.reason})"
        line = f"[{self.done}/{self.total}] {result.package}: {status}, {result.seconds}s"
        if self._bar is not None:
            self._bar.console.print(line, highlight=False)
            self._bar.advance(self._task)
        elif self.enabled:
            print(line, file=sys.stderr, flush=True)


def tally(result: Result) -> str:
    """The 'tests passed' column: passed, then failures and errors when there are any."""
    bad = [
        f"{n} {label}" for n, label in ((result.failed, "failed"), (result.errors, "errors")) if n
    ]
    return f"{result.passed}" + (f" ({', '.join(bad)})" if bad else "")


def print_table(results: list[Result]) -> None:
    """The final table: package, wheel, deps installed, tests passed, seconds, result."""
    header = ("package", "wheel", "deps installed", "tests passed", "seconds", "result")
    rows = [
        (
            r.package,
            r.wheel or "-",
            r.deps,
            tally(r),
            f"{r.seconds:.1f}",
            "ok" if r.ok else f"FAIL: {r.reason}",
        )
        for r in results
    ]
    if importlib.util.find_spec("rich") is not None:
        from rich.console import Console
        from rich.table import Table

        table = Table(*header, title="each wheel installed alone, its own tests")
        for row in rows:
            table.add_row(*row, style=None if row[-1] == "ok" else "red")
        console = Console()
        if not console.is_terminal:
            console.width = max(console.width, 150)
        console.print(table)
        return
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())


def print_failures(results: list[Result]) -> None:
    """Each failing package's output (pytest's, or the failing command's)."""
    for result in results:
        if not result.ok:
            print(f"\n===== {result.package}: {result.reason} =====\n{result.output.rstrip()}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    parser.add_argument("--package", action="append", metavar="NAME", help="only NAME (repeatable)")
    parser.add_argument("--wheels", type=Path, metavar="DIR", help="use the wheels found in DIR")
    parser.add_argument("--jobs", type=int, default=2, help="packages tested at once (default 2)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 when every selected package passes alone, 1 otherwise."""
    args = parse_args(argv)
    try:
        ws = Workspace.load(args.root)
        names = sorted({ws.get(n).key for n in args.package} if args.package else ws.distributions)
    except WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="legion-isolation-"))
    try:
        with Progress(len(names), enabled=True) as progress:
            ctx = prepare(ws, names, scratch, args.wheels, progress.say)
            results = run_all(ctx, names, max(1, args.jobs), progress)
    except IsolationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"scratch kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps([asdict(r) | {"deps": r.deps} for r in results], indent=2))
    else:
        print_table(results)
        print_failures(results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
