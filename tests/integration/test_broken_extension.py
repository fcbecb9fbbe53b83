"""A broken extension installed next to good ones: it is listed with its error, the rest work.

The broken one is a real distribution (dist-info + module) on the path of a real `legion` process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

LEGION = [sys.executable, "-c", "from legion.app.cli.main import legion; legion()"]


def install_broken(site: Path) -> None:
    info = site / "lex_kaput-0.3.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lex-kaput\nVersion: 0.3.0\n")
    (info / "entry_points.txt").write_text(
        "[legion.extensions]\nkaput = legion.extensions.kaput:extension\n"
    )
    pkg = site / "legion" / "extensions" / "kaput"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise ImportError('kaput needs libfoo >= 2')\n")


def run(site: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "LEGION_HOME": str(home),
        "LEGION_SETTINGS_DIRS": str(home / "settings"),
    }
    return subprocess.run([*LEGION, *args], capture_output=True, text=True, env=env, timeout=120)


def test_broken_extension_is_reported_and_others_work(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_broken(site)
    listing = run(site, tmp_path / "home", "lex", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["kaput"]["status"] == "failed"
    assert rows["kaput"]["distribution"] == "lex-kaput"
    assert rows["kaput"]["reason"] == "import failed: ImportError: kaput needs libfoo >= 2"
    assert rows["ping"]["status"] == "loaded"

    info = run(site, tmp_path / "home", "lex", "info", "kaput", "--json")
    assert info.returncode == 0
    assert "kaput needs libfoo" in json.loads(info.stdout)["traceback"]

    ping = run(site, tmp_path / "home", "lex", "info", "ping", "--json")
    assert json.loads(ping.stdout)["functions"][0]["address"] == "ping.ping.ping"
