"""Bump one distribution's version: rewrite its _version.py and open a CHANGELOG section.

Versions are independent (SemVer per distribution). After the bump, every first-party range on the
bumped distribution is checked; dependants whose ranges no longer admit the new version are listed
with the range to write, and the exit code is 1 until they are fixed.

    python tools/bump.py legion-core minor        # 0.1.0 -> 0.2.0
    python tools/bump.py lex-ping patch --dry-run # show what would change
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_layout import check_ranges
from workspace import DEFAULT_ROOT, VERSION_RE, Distribution, Workspace, WorkspaceError

PARTS = ("major", "minor", "patch")


def bumped(version: str, part: str) -> str:
    """The next version; only plain X.Y.Z is handled, anything else is edited by hand."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise WorkspaceError(f"version {version!r} is not X.Y.Z; edit the _version.py by hand")
    major, minor, patch = (int(x) for x in match.groups())
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise WorkspaceError(f"part must be one of {', '.join(PARTS)}, not {part!r}")


def rewrite_version(text: str, new: str) -> str:
    """The _version.py text with its __version__ string replaced (quotes and layout kept)."""
    match = VERSION_RE.search(text)
    if not match:
        raise WorkspaceError('no __version__ = "x.y.z" line to rewrite')
    start, end = match.span("version")
    return text[:start] + new + text[end:]


def add_changelog_heading(text: str, version: str) -> str:
    """The CHANGELOG with a `## <version> — unreleased` section above the newest one (once)."""
    if re.search(rf"(?m)^## {re.escape(version)}\b", text):
        return text
    heading = f"## {version} — unreleased\n\n"
    first = re.search(r"(?m)^## ", text)
    if first is None:
        return text.rstrip("\n") + "\n\n" + heading
    return text[: first.start()] + heading + text[first.start() :]


def bump(dist: Distribution, part: str, write: bool = True) -> str:
    """Rewrite the version file and changelog of `dist`; return the new version."""
    if dist.version_file is None or dist.version is None:
        raise WorkspaceError(
            f"{dist.rel}: no readable [tool.hatch.version] path; fix the pyproject"
        )
    new = bumped(dist.version, part)
    version_text = rewrite_version(dist.version_file.read_text(encoding="utf-8"), new)
    changelog = dist.path / "CHANGELOG.md"
    old_log = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    new_log = add_changelog_heading(old_log or f"# Changelog — {dist.name}\n", new)
    if write:
        dist.version_file.write_text(version_text, encoding="utf-8")
        changelog.write_text(new_log, encoding="utf-8")
    return new


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("dist", help="distribution name, e.g. legion-core")
    parser.add_argument("part", choices=PARTS)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    parser.add_argument("--dry-run", action="store_true", help="change nothing, just report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 when every dependant still admits the new version, 1 otherwise."""
    args = parse_args(argv)
    try:
        dist = Workspace.load(args.root).get(args.dist)
        new = bump(dist, args.part, write=not args.dry_run)
        workspace = Workspace.load(args.root)
    except WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would bump" if args.dry_run else "bumped"
    print(
        f"{verb} {dist.name} {dist.version} -> {new} ({dist.rel}); CHANGELOG.md has a {new} section"
    )
    if args.dry_run:
        workspace = _with_version(workspace, dist, new)
    broken = check_ranges(workspace, only_on=[dist.name])
    for problem in broken:
        print(problem)
    if broken:
        print(
            f"{len(broken)} dependant range(s) no longer admit {dist.name} {new}; "
            "widen them (and bump those dependants), then run `python tools/check_layout.py`",
            file=sys.stderr,
        )
        return 1
    print(f"every first-party range on {dist.name} admits {new}")
    return 0


def _with_version(workspace: Workspace, dist: Distribution, version: str) -> Workspace:
    """The workspace as it would be after the bump, for --dry-run."""
    changed = replace(workspace.get(dist.name), version=version)
    others = [d for d in workspace if d.key != dist.key]
    return Workspace(workspace.root, [*others, changed])


if __name__ == "__main__":
    sys.exit(main())
