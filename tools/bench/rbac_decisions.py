"""RBAC decision latency: legion-rbac's cached decisions against raw pycasbin `enforce`.

Builds 1,100 Vault-style rules over 100 roles, assigns them to 300 principals, and runs one
seeded random workload of checks (drawn from a fixed pool of questions, as a real service
sees the same questions again and again) through:

  (a) legion-rbac `Engine.check`, warm cache (the steady state);
  (b) legion-rbac `Engine.check` with the cache turned off (what a miss costs);
  (c) raw pycasbin `Enforcer.enforce` on an equivalent model (one enforcer, principals
      reach roles through `g`, the same Vault glob function, deny-override effect).

Each call is timed alone; the table shows p50 and p99 per decision and p50 ratios against
raw pycasbin. Every path must give the same answers, which is checked before timing.

Run: `.venv/bin/python tools/bench/rbac_decisions.py [--checks 2000] [--seed 7] [--json]`
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import casbin  # type: ignore[import-untyped]

from legion.rbac import ACTIONS, Engine, PolicySet, Role, Rule
from legion.rbac.model import Assignment
from legion.rbac.paths import path_matches

ROLES = 100
RULES_PER_ROLE = 11  # 1,100 rules in all
PRINCIPALS = 300
QUESTIONS = 1_000
NAMESPACES = ("tasks", "extensions", "nodes", "schedules", "chains", "mcp", "llm", "settings")
Question = tuple[str, str, str]

# The textbook casbin RBAC model with the same semantics: principals reach role subjects
# through `g`, paths match with the same Vault glob function, any deny beats any allow.
RAW_MODEL = """
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.act == r.act || p.act == "*") && g(r.sub, p.sub) && vault_match(r.obj, p.obj)
"""


def build_policy(rng: random.Random) -> PolicySet:
    """100 roles of 11 rules each: exact, prefix, `+` and `+`-prefix patterns, some denies."""
    policy = PolicySet()
    for r in range(ROLES):
        name = f"role-{r:03d}"
        rules = []
        for _ in range(RULES_PER_ROLE):
            ns = rng.choice(NAMESPACES)
            item = f"i{rng.randrange(40)}"
            shape = rng.randrange(4)
            path = [
                f"{ns}/{item}",
                f"{ns}/{item}/*",
                f"{ns}/+/{item}",
                f"{ns}/+/{item}/*",
            ][shape]
            caps = (
                ("deny",) if rng.random() < 0.05 else tuple(rng.sample(ACTIONS, rng.randint(1, 3)))
            )
            rules.append(Rule(role=name, path=path, capabilities=caps))
        policy.add_role(Role(name=name, rules=tuple(rules)))
    for p in range(PRINCIPALS):
        roles = tuple(rng.sample(sorted(policy.roles), rng.randint(1, 3)))
        policy.assignments.append(Assignment(principal=f"user:u{p:03d}", roles=roles))
    return policy


def build_questions(rng: random.Random, policy: PolicySet) -> list[Question]:
    """Half the resources sit under one of the principal's rules, half anywhere."""
    by_principal = {a.principal: a.roles for a in policy.assignments}
    principals = sorted(by_principal)
    questions: list[Question] = []
    for _ in range(QUESTIONS):
        who = rng.choice(principals)
        action = rng.choice(ACTIONS)
        if rng.random() < 0.5:
            rule = rng.choice(policy.roles[rng.choice(by_principal[who])].rules)
            base = rule.path.rstrip("*").replace("+", f"x{rng.randrange(5)}")
            resource = base + (f"{rng.randrange(9)}" if rule.path.endswith("*") else "")
            action = action if rule.deny else rng.choice(rule.capabilities)
        else:
            resource = f"{rng.choice(NAMESPACES)}/i{rng.randrange(40)}/{rng.randrange(9)}"
        questions.append((who, resource, action))
    return questions


def raw_enforcer(policy: PolicySet) -> Any:
    """Plain pycasbin with the equivalent model: the same lines and glob function, no cache."""
    model = casbin.Model()
    model.load_model_from_text(RAW_MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_function("vault_match", path_matches)
    lines: set[tuple[str, ...]] = set()
    for role in policy.roles.values():
        subject = f"role:{role.name}"
        for rule in role.rules:
            if rule.deny:
                lines.add((subject, rule.path, "*", "deny"))
            else:
                lines.update((subject, rule.path, cap, "allow") for cap in rule.capabilities)
    enforcer.add_policies([list(line) for line in sorted(lines)])
    for assignment in policy.assignments:
        for name in assignment.roles:
            enforcer.add_grouping_policy(assignment.principal, f"role:{name}")
    return enforcer


def timed(
    call: Callable[[str, str, str], Any], workload: list[Question]
) -> tuple[list[float], list[bool]]:
    """Nanoseconds per call, each call timed on its own, and each call's answer."""
    clock = time.perf_counter_ns
    samples: list[float] = []
    answers: list[bool] = []
    for who, resource, action in workload:
        start = clock()
        result = call(who, resource, action)
        samples.append(clock() - start)
        answers.append(bool(getattr(result, "allowed", result)))
    return samples, answers


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fmt(ns: float) -> str:
    return f"{ns / 1000:,.1f} µs" if ns < 1_000_000 else f"{ns / 1_000_000:,.2f} ms"


def run(checks: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    policy = build_policy(rng)
    questions = build_questions(rng, policy)
    workload = rng.choices(questions, k=checks)

    cached = Engine(policy, builtin=False)
    uncached = Engine(policy, builtin=False, cache_size=0)
    raw = raw_enforcer(policy)
    casbin_lines = len(raw.get_policy())

    for who, resource, action in workload:  # warm the cache: the steady state is measured
        cached.check(who, resource, action)
    runs = {
        "legion-rbac cached (warm)": timed(cached.check, workload),
        "legion-rbac uncached": timed(uncached.check, workload),
        "raw pycasbin enforce": timed(raw.enforce, workload),
    }
    answers = [a for _, a in runs.values()]
    for i, question in enumerate(workload):  # the same answers on every path, or no table
        if len({a[i] for a in answers}) != 1:
            raise SystemExit(f"paths disagree on {question}: {[a[i] for a in answers]}")
    allowed = sum(answers[0]) / len(workload)
    rows = {name: samples for name, (samples, _) in runs.items()}
    raw_p50 = statistics.median(rows["raw pycasbin enforce"])
    table = [
        {
            "path": name,
            "p50_ns": statistics.median(samples),
            "p99_ns": percentile(samples, 0.99),
            "speedup_vs_raw_p50": raw_p50 / statistics.median(samples),
        }
        for name, samples in rows.items()
    ]
    return {
        "rules": sum(len(r.rules) for r in policy.roles.values()),
        "casbin_policy_lines": casbin_lines,
        "roles": len(policy.roles),
        "principals": PRINCIPALS,
        "distinct_questions": len(set(workload)),
        "allowed_share": allowed,
        "checks": checks,
        "seed": seed,
        "python": platform.python_version(),
        "results": table,
    }


def render(report: dict[str, Any]) -> str:
    head = (
        f"{report['rules']:,} rules ({report['casbin_policy_lines']:,} casbin policy lines), "
        f"{report['roles']} roles, {report['principals']} principals, "
        f"{report['checks']:,} checks over {report['distinct_questions']:,} distinct questions "
        f"({report['allowed_share']:.0%} allowed), Python {report['python']}, seed {report['seed']}"
    )
    lines = [
        head,
        "",
        "| path | p50 per decision | p99 per decision | p50 vs raw pycasbin |",
        "|---|---:|---:|---:|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['path']} | {fmt(row['p50_ns'])} | {fmt(row['p99_ns'])} "
            f"| {row['speedup_vs_raw_p50']:,.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2_000, help="checks per path")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = run(args.checks, args.seed)
    print(json.dumps(report, indent=2) if args.json else render(report))
    cached = report["results"][0]["speedup_vs_raw_p50"]
    if cached < 10:
        print(
            f"goal missed: cached is {cached:.1f}x raw pycasbin at p50 (goal >= 10x)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
