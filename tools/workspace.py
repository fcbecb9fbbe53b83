"""The one module that knows the Legion workspace: its distributions and how they depend on
each other.

Every distribution is a directory under packages/ or extensions/ with a pyproject.toml; that file is
the single source of truth. The other tools (check_layout, isolation, bump) and CI import this
module instead of re-reading the tree their own way. Standard library only, so it runs before
any sync.

Command line (run from anywhere; --root defaults to the repository holding this file):
    python tools/workspace.py                                   # name, version, path per line
    python tools/workspace.py --json                            # everything known, as JSON
    python tools/workspace.py --changed-since origin/main --with-dependants
    python tools/workspace.py --changed-since origin/main --with-dependants --matrix
    python tools/workspace.py --closure lex-ping                # first-party deps, transitively
    python tools/workspace.py --dependants legion-core          # who depends on it, transitively
    python tools/workspace.py --release-tag legion-core/v0.1.0  # name=/version=/path= or exit 1
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent
MEMBER_DIRS = ("packages", "extensions")
PYTHONS = ("3.11", "3.12", "3.13")
FIRST_PARTY_PREFIXES = ("legion-", "lex-")
FIRST_PARTY_EXACT = frozenset({"legion", "legionio"})
# Changes here never affect what a distribution installs or how its tests run.
IRRELEVANT_PREFIXES = ("docs/",)
IRRELEVANT_TOP_LEVEL_SUFFIXES = (".md",)
# hatch's default version pattern (hatchling/version/source/regex.py).
VERSION_RE = re.compile(
    r"""(?im)^(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*(['"])v?(?P<version>.+?)\1"""
)
REQUIREMENT_RE = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
        (?:\[(?P<extras>[^\]]*)\])?\s*
        (?P<rest>[^;]*?)\s*
        (?:;\s*(?P<marker>.*?))?\s*$""",
    re.VERBOSE,
)


class WorkspaceError(Exception):
    """A problem that stops the workspace from being read; the message names the fix."""


def canonical(name: str) -> str:
    """PEP 503 normalisation, so `Legion_Core` and `legion-core` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def looks_first_party(name: str) -> bool:
    """Names we own or would own on PyPI; a resolver must never fetch these from an index."""
    name = canonical(name)
    return name in FIRST_PARTY_EXACT or name.startswith(FIRST_PARTY_PREFIXES)


@dataclass(frozen=True)
class Requirement:
    """A PEP 508 requirement split into the parts the tools compare; parsed without `packaging`."""

    name: str
    extras: tuple[str, ...] = ()
    specifier: str = ""
    url: str = ""
    marker: str = ""

    @property
    def key(self) -> str:
        """The canonical project name, for dictionary keys and comparisons."""
        return canonical(self.name)

    @property
    def clauses(self) -> tuple[str, ...]:
        """The specifier's comma-separated clauses, whitespace removed, e.g. ('>=0.1', '<0.2')."""
        return tuple(c for c in (part.replace(" ", "") for part in self.specifier.split(",")) if c)

    def __str__(self) -> str:
        text = self.name
        if self.extras:
            text += "[" + ",".join(self.extras) + "]"
        if self.url:
            text += " @ " + self.url
        else:
            text += ",".join(self.clauses)
        if self.marker:
            text += ("; " if not self.url else " ; ") + self.marker
        return text


def parse_requirement(text: str) -> Requirement:
    """Split a requirement string; raise WorkspaceError naming the text when it is not PEP 508."""
    match = REQUIREMENT_RE.match(text)
    if not match:
        raise WorkspaceError(
            f"cannot parse requirement {text!r}; write it as PEP 508, e.g. 'httpx>=0.27'"
        )
    rest = match["rest"].strip()
    url = ""
    specifier = rest
    if rest.startswith("@"):
        url, specifier = rest[1:].strip(), ""
    elif rest.startswith("(") and rest.endswith(")"):
        specifier = rest[1:-1]
    if specifier and not re.fullmatch(
        r"\s*(?:(?:===|==|!=|<=|>=|~=|<|>)\s*[^,\s]+\s*,?\s*)+", specifier
    ):
        raise WorkspaceError(
            f"cannot parse version specifier in {text!r}; write e.g. 'name>=1.2,<2'"
        )
    extras = tuple(sorted(e.strip() for e in (match["extras"] or "").split(",") if e.strip()))
    return Requirement(
        match["name"], extras, specifier.strip(), url, (match["marker"] or "").strip()
    )


@dataclass(frozen=True)
class Distribution:
    """One distribution of the workspace, as its pyproject.toml describes it."""

    name: str
    path: Path
    rel: str
    version: str | None
    version_file: Path | None
    dependencies: tuple[Requirement, ...]
    test_dependencies: tuple[Requirement, ...]
    entry_points: Mapping[str, Mapping[str, str]]
    uv_sources: Mapping[str, object]
    pyproject: Mapping[str, object] = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        """The canonical name."""
        return canonical(self.name)

    @property
    def src(self) -> Path:
        """Where the importable code lives (src layout)."""
        return self.path / "src"

    @property
    def tests(self) -> Path:
        """Where the distribution's own tests live."""
        return self.path / "tests"

    def all_requirements(self, include_test: bool = True) -> tuple[Requirement, ...]:
        """Runtime requirements, plus the `test` dependency group when asked."""
        return self.dependencies + (self.test_dependencies if include_test else ())


def read_version(version_file: Path) -> str | None:
    """The `__version__` written in a hatch version file, or None when absent or unreadable."""
    try:
        match = VERSION_RE.search(version_file.read_text(encoding="utf-8"))
    except OSError:
        return None
    return match["version"] if match else None


def _dependency_group(
    groups: Mapping[str, object], name: str, seen: tuple[str, ...] = ()
) -> list[str]:
    """Flatten a PEP 735 dependency group, following `{include-group = ...}` entries."""
    if name in seen:
        raise WorkspaceError(f"dependency group {name!r} includes itself; remove the cycle")
    items = groups.get(name, [])
    if not isinstance(items, list):
        raise WorkspaceError(f"dependency group {name!r} must be a list of requirement strings")
    result: list[str] = []
    for item in items:
        if isinstance(item, dict) and "include-group" in item:
            result += _dependency_group(groups, str(item["include-group"]), (*seen, name))
        else:
            result.append(str(item))
    return result


def _entry_points(project: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """Every entry point, scripts included, keyed by group (scripts become console_scripts)."""
    groups: dict[str, dict[str, str]] = {}
    for key, group in (("scripts", "console_scripts"), ("gui-scripts", "gui_scripts")):
        if project.get(key):
            groups[group] = dict(project[key])  # type: ignore[call-overload]
    for group, points in dict(project.get("entry-points", {})).items():  # type: ignore[call-overload]
        groups[group] = dict(points)
    return groups


def load_distribution(root: Path, path: Path) -> Distribution:
    """Read one member directory; raise WorkspaceError naming the file when it is malformed."""
    pyproject_path = path / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise WorkspaceError(f"{pyproject_path}: cannot read: {error}; fix the TOML") from error
    project = data.get("project", {})
    if "name" not in project:
        raise WorkspaceError(f'{pyproject_path}: no [project] name; add name = "{path.name}"')
    version_file: Path | None = None
    version: str | None = project.get("version")
    hatch_path = data.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    if hatch_path:
        version_file = path / hatch_path
        version = read_version(version_file)
    groups = data.get("dependency-groups", {})
    try:
        dependencies = tuple(parse_requirement(r) for r in project.get("dependencies", []))
        tests = tuple(parse_requirement(r) for r in _dependency_group(groups, "test"))
    except WorkspaceError as error:
        raise WorkspaceError(f"{pyproject_path}: {error}") from error
    return Distribution(
        name=project["name"],
        path=path,
        rel=path.relative_to(root).as_posix(),
        version=version,
        version_file=version_file,
        dependencies=dependencies,
        test_dependencies=tests,
        entry_points=_entry_points(project),
        uv_sources=data.get("tool", {}).get("uv", {}).get("sources", {}),
        pyproject=data,
    )


class Workspace:
    """All distributions of one checkout and the first-party dependency graph between them."""

    def __init__(self, root: Path, distributions: Iterable[Distribution]) -> None:
        self.root = root
        self.distributions: dict[str, Distribution] = {}
        for dist in sorted(distributions, key=lambda d: d.rel):
            if dist.key in self.distributions:
                other = self.distributions[dist.key].rel
                raise WorkspaceError(f"{dist.rel} and {other} both declare {dist.name}; rename one")
            self.distributions[dist.key] = dist

    @classmethod
    def load(cls, root: Path = DEFAULT_ROOT) -> Workspace:
        """Discover members: directories right under packages/ or extensions/ with a pyproject."""
        root = root.resolve()
        found = [
            load_distribution(root, child)
            for member_dir in MEMBER_DIRS
            if (root / member_dir).is_dir()
            for child in sorted((root / member_dir).iterdir())
            if (child / "pyproject.toml").is_file()
        ]
        return cls(root, found)

    def __iter__(self) -> Iterator[Distribution]:
        return iter(self.distributions.values())

    def __len__(self) -> int:
        return len(self.distributions)

    def get(self, name: str) -> Distribution:
        """The distribution called `name`; WorkspaceError listing the known ones otherwise."""
        try:
            return self.distributions[canonical(name)]
        except KeyError:
            known = ", ".join(sorted(d.name for d in self))
            raise WorkspaceError(
                f"no distribution {name!r} in this workspace; known: {known}"
            ) from None

    def is_first_party(self, name: str) -> bool:
        """True for in-repo names and for names that look like ours (legion-*, lex-*, legionio)."""
        return canonical(name) in self.distributions or looks_first_party(name)

    def first_party_requirements(
        self, dist: Distribution, include_test: bool = True
    ) -> list[Requirement]:
        """The requirements of `dist` on first-party names, in-repo or not."""
        return [r for r in dist.all_requirements(include_test) if self.is_first_party(r.name)]

    def third_party_requirements(
        self, dist: Distribution, include_test: bool = True
    ) -> list[Requirement]:
        """The requirements of `dist` that an index must satisfy."""
        return [r for r in dist.all_requirements(include_test) if not self.is_first_party(r.name)]

    def first_party_deps(self, name: str, include_test: bool = True) -> list[str]:
        """Direct in-repo dependencies of `name` (canonical names, sorted)."""
        dist = self.get(name)
        return sorted(
            {r.key for r in self.first_party_requirements(dist, include_test)}
            & self.distributions.keys()
        )

    def graph(self, include_test: bool = True) -> dict[str, list[str]]:
        """name -> direct in-repo dependencies, for every distribution."""
        return {key: self.first_party_deps(key, include_test) for key in self.distributions}

    def closure(self, names: Iterable[str], include_test: bool = True) -> list[str]:
        """`names` plus everything they need in-repo, transitively (sorted canonical names)."""
        graph = self.graph(include_test)
        todo = [self.get(n).key for n in names]
        seen: set[str] = set()
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo.extend(graph[key])
        return sorted(seen)

    def dependants(self, names: Iterable[str], include_test: bool = True) -> list[str]:
        """Everything that needs any of `names`, transitively, excluding `names` themselves."""
        reverse: dict[str, set[str]] = {key: set() for key in self.distributions}
        for key, deps in self.graph(include_test).items():
            for dep in deps:
                reverse[dep].add(key)
        start = {self.get(n).key for n in names}
        todo, seen = list(start), set(start)
        while todo:
            for user in reverse[todo.pop()]:
                if user not in seen:
                    seen.add(user)
                    todo.append(user)
        return sorted(seen - start)

    def owner_of(self, rel_path: str) -> str | None:
        """The distribution a repository-relative path belongs to, if any."""
        for key, dist in self.distributions.items():
            if rel_path == dist.rel or rel_path.startswith(dist.rel + "/"):
                return key
        return None

    def affected_by(self, changed_paths: Iterable[str]) -> list[str]:
        """Distributions touched by `changed_paths`; shared files (lock, tools, config) hit all."""
        selected: set[str] = set()
        for path in changed_paths:
            owner = self.owner_of(path)
            if owner:
                selected.add(owner)
            elif not is_irrelevant(path):
                return sorted(self.distributions)
        return sorted(selected)


def is_irrelevant(rel_path: str) -> bool:
    """Paths outside any distribution that cannot change a test result (prose)."""
    top_level = "/" not in rel_path
    return rel_path.startswith(IRRELEVANT_PREFIXES) or (
        top_level and rel_path.endswith(IRRELEVANT_TOP_LEVEL_SUFFIXES)
    )


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout; WorkspaceError with git's message on failure."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise WorkspaceError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def changed_paths(root: Path, ref: str) -> list[str]:
    """Files changed since the merge base with `ref`: commits, uncommitted and untracked files."""
    try:
        base = git(root, "merge-base", ref, "HEAD").strip()
    except WorkspaceError as error:
        raise WorkspaceError(
            f"{error}; fetch the ref first (`git fetch origin main`; in CI: fetch-depth: 0)"
        ) from error
    tracked = git(root, "diff", "--name-only", "--no-renames", base).splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({p for p in tracked + untracked if p})


def matrix(
    names: Iterable[str], pythons: Iterable[str] = PYTHONS
) -> dict[str, list[dict[str, str]]]:
    """A GitHub Actions matrix: one entry per distribution and Python version."""
    return {"include": [{"package": n, "python": p} for n in names for p in pythons]}


def parse_release_tag(tag: str) -> tuple[str, str]:
    """Split `<dist>/v<version>` (refs/tags/ prefix allowed); WorkspaceError for any other shape."""
    tag = tag.removeprefix("refs/tags/")
    match = re.fullmatch(r"(?P<dist>[^/]+)/v(?P<version>[0-9][^/]*)", tag)
    if not match:
        raise WorkspaceError(f"tag {tag!r} is not <dist>/v<version>; tag like legion-core/v0.1.0")
    return match["dist"], match["version"]


def release_target(workspace: Workspace, tag: str) -> Distribution:
    """The distribution a release tag names, after checking the tag's version is the one in-repo."""
    name, version = parse_release_tag(tag)
    dist = workspace.get(name)
    if dist.name != name:
        raise WorkspaceError(
            f"tag names {name!r} but the distribution is spelled {dist.name!r}; retag"
        )
    if dist.version != version:
        where = dist.version_file.relative_to(workspace.root) if dist.version_file else dist.rel
        raise WorkspaceError(
            f"tag says {name} {version} but {where} says {dist.version}; "
            f"bump with `python tools/bump.py {name} ...` and commit before tagging, or retag"
        )
    return dist


def describe(workspace: Workspace) -> list[dict[str, object]]:
    """JSON-ready description of every distribution."""
    graph = workspace.graph()
    return [
        {
            "name": dist.name,
            "version": dist.version,
            "path": dist.rel,
            "dependencies": [str(r) for r in dist.dependencies],
            "test": [str(r) for r in dist.test_dependencies],
            "first_party": graph[dist.key],
            "closure": workspace.closure([dist.key]),
            "dependants": workspace.dependants([dist.key]),
            "entry_points": dist.entry_points,
        }
        for dist in workspace
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    parser.add_argument(
        "--changed-since", metavar="REF", help="only distributions changed since REF"
    )
    parser.add_argument("--with-dependants", action="store_true", help="add their dependants")
    parser.add_argument("--closure", metavar="NAME", help="NAME and its first-party deps")
    parser.add_argument("--dependants", metavar="NAME", help="everything that depends on NAME")
    parser.add_argument("--matrix", action="store_true", help="print a GitHub Actions matrix")
    parser.add_argument("--json", action="store_true", help="print every distribution as JSON")
    parser.add_argument(
        "--release-tag", metavar="TAG", help="check TAG and print name=/version=/path="
    )
    return parser.parse_args(argv)


def select(workspace: Workspace, args: argparse.Namespace) -> list[str]:
    """The distributions the flags ask for (all of them by default)."""
    if args.closure:
        return workspace.closure([args.closure])
    if args.dependants:
        return workspace.dependants([args.dependants])
    names = sorted(workspace.distributions)
    if args.changed_since:
        names = workspace.affected_by(changed_paths(workspace.root, args.changed_since))
    if args.with_dependants:
        names = sorted(set(names) | set(workspace.dependants(names)))
    return names


def main(argv: list[str] | None = None) -> int:
    """Entry point; prints to stdout, errors to stderr with exit code 1."""
    args = parse_args(argv)
    try:
        workspace = Workspace.load(args.root)
        if args.release_tag:
            dist = release_target(workspace, args.release_tag)
            print(f"name={dist.name}\nversion={dist.version}\npath={dist.rel}")
            return 0
        names = select(workspace, args)
    except WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.matrix:
        print(json.dumps(matrix(names), separators=(",", ":")))
    elif args.json:
        wanted = set(names)
        print(
            json.dumps(
                [d for d in describe(workspace) if canonical(str(d["name"])) in wanted], indent=2
            )
        )
    else:
        for key in names:
            dist = workspace.distributions[key]
            print(f"{dist.name}\t{dist.version}\t{dist.rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
