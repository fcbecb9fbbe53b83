"""Findings and how they are printed: one line each, a status, and a fix when one is known.

Statuses: `pass`, `info` (a fact, nothing wrong), `skip` (not configured), `warn` (works, but
someone should look), `fail` (broken: the command exits 1) and `fixed` (`doctor --fix` repaired
it). A finding may carry a `repair`, the safe action `doctor --fix` may take.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console

Status = Literal["pass", "info", "skip", "warn", "fail", "fixed"]
STATUS_STYLE: dict[str, str] = {
    "pass": "green",
    "info": "cyan",
    "skip": "dim",
    "warn": "yellow",
    "fail": "bold red",
    "fixed": "green",
}
SUMMARY_ORDER: tuple[Status, ...] = ("fail", "warn", "fixed", "pass", "info", "skip")


@dataclass
class Finding:
    """What one check found about one thing (a component, a directory, a file, an extension)."""

    name: str
    status: Status
    reason: str
    subject: str | None = None
    latency_ms: float | None = None
    fix: str | None = None  # one line for a person, when `--fix` cannot or did not repair it
    fixed: str | None = None  # what `doctor --fix` did
    details: dict[str, Any] = field(default_factory=dict)
    repair: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.name if self.subject is None else f"{self.name}: {self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "status": self.status,
            "reason": self.reason,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
            "fix": self.fix,
            "fixed": self.fixed,
            "details": self.details,
        }


def failed(findings: Iterable[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when nothing failed, 1 otherwise; warnings never fail a node."""
    return 1 if failed(findings) else 0


def apply_repairs(findings: Iterable[Finding]) -> None:
    """Run the repair of every failing or warning finding; a repair that breaks says so."""
    for finding in findings:
        if finding.repair is None or finding.status not in ("fail", "warn"):
            continue
        try:
            done = finding.repair()
        except Exception as exc:
            finding.reason = f"{finding.reason}; the fix failed: {type(exc).__name__}: {exc}"
            continue
        finding.status = "fixed"
        finding.fixed = done
        finding.fix = None


def scrub(findings: Iterable[Finding], secrets: Iterable[str]) -> None:
    """Replace secret values in every text of every finding: error messages may quote them."""
    values = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
    if not values:
        return

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for secret in values:
                value = value.replace(secret, "***REDACTED***")
            return value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    for f in findings:
        f.reason = clean(f.reason)
        f.fix = clean(f.fix)
        f.fixed = clean(f.fixed)
        f.details = clean(f.details)


def summary(findings: Iterable[Finding]) -> str:
    counts = Counter(f.status for f in findings)
    words = {"fail": "failed", "warn": "warning(s)", "pass": "passed", "skip": "skipped"}
    parts = [f"{counts[s]} {words.get(s, s)}" for s in SUMMARY_ORDER if counts[s]]
    return ", ".join(parts) or "nothing checked"


def render(out: Console, findings: list[Finding]) -> None:
    """A table of findings, then the fixes to make and what `--fix` did, then a summary."""
    from rich.markup import escape

    from legion.app.cli.output import table

    rows = [
        [
            escape(f.label),
            f"[{STATUS_STYLE[f.status]}]{f.status}[/]",
            "" if f.latency_ms is None else f"{f.latency_ms:.1f} ms",
            escape(f.reason),
        ]
        for f in findings
    ]
    out.print(table(["check", "status", "latency", "detail"], rows))
    for f in findings:
        if f.fixed:
            out.print(f"[green]fixed[/] {escape(f.label)}: {escape(f.fixed)}")
    for f in findings:
        if f.fix and f.status in ("fail", "warn"):
            out.print(f"[yellow]to fix[/] {escape(f.label)}: {escape(f.fix)}")
    style = "bold red" if failed(findings) else "green"
    out.print(f"[{style}]{escape(summary(findings))}[/]")
