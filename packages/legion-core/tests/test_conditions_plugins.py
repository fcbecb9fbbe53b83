"""Operator plugins through real `legion.operators` entry points on a temporary sys.path."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from legion.core.conditions import (
    InvalidConditions,
    clear_cache,
    compile,
    evaluate,
    explain,
    operator_names,
    validate,
)
from legion.core.logging import logger

PLUGIN_MODULE = """
from legion.core.conditions import Operator


def divisible_by(actual, expected):
    return isinstance(actual, int) and actual % expected == 0


def is_even(actual):
    return isinstance(actual, int) and actual % 2 == 0


is_even.unary = True


def explodes(actual, expected):
    raise ZeroDivisionError("plugin bug")


def truthy(actual, expected):
    return "yes"


def always(actual, expected):
    return True


def _check_unit(value):
    return None if value in ("s", "ms") else "needs 's' or 'ms'"


def _under(actual, limit):
    return isinstance(actual, (int, float)) and actual < limit


seconds_under = Operator(_under, prepare=lambda unit: 1.0 if unit == "s" else 0.001,
                         check=_check_unit)
absent_or_zero = Operator(lambda actual: actual == 0, unary=True, when_missing=True)
NOT_AN_OPERATOR = 42
"""

ENTRY_POINTS = """
[legion.operators]
zz_divisible_by = zz_condition_ops:divisible_by
zz_is_even = zz_condition_ops:is_even
zz_explodes = zz_condition_ops:explodes
zz_truthy = zz_condition_ops:truthy
zz_seconds_under = zz_condition_ops:seconds_under
zz_absent_or_zero = zz_condition_ops:absent_or_zero
zz_not_callable = zz_condition_ops:NOT_AN_OPERATOR
zz_missing_attr = zz_condition_ops:no_such_thing
zz_broken = zz_condition_ops_broken:anything
equal = zz_condition_ops:always
"""


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(
        lambda message: lines.append(str(message)), level="WARNING", format="{message}"
    )
    yield lines
    logger.remove(sink)


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "site"
    info = root / "zz_condition_ops-1.0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        "Metadata-Version: 2.1\nName: zz-condition-ops\nVersion: 1.0\n"
    )
    info.joinpath("entry_points.txt").write_text(ENTRY_POINTS)
    root.joinpath("zz_condition_ops.py").write_text(PLUGIN_MODULE)
    root.joinpath("zz_condition_ops_broken.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(root))
    clear_cache()
    yield root
    clear_cache()
    for name in [m for m in sys.modules if m.startswith("zz_condition_ops")]:
        del sys.modules[name]


def one(fact: str, operator: str, *value: object) -> dict[str, object]:
    rule: dict[str, object] = {"fact": fact, "operator": operator}
    if value:
        rule["value"] = value[0]
    return {"all": [rule]}


def test_binary_and_unary_callables(plugins: Path) -> None:
    assert evaluate(one("n", "zz_divisible_by", 3), {"n": 9}) is True
    assert evaluate(one("n", "zz_divisible_by", 3), {"n": 10}) is False
    assert evaluate(one("n", "zz_is_even"), {"n": 4}) is True
    assert evaluate(one("n", "zz_is_even"), {"n": 5}) is False
    with pytest.raises(InvalidConditions, match="operator 'zz_is_even' takes no value"):
        validate(one("n", "zz_is_even", 1))
    with pytest.raises(InvalidConditions, match="operator 'zz_divisible_by' needs a value"):
        validate(one("n", "zz_divisible_by"))


def test_plugins_are_not_called_for_missing_facts(plugins: Path) -> None:
    assert evaluate(one("n", "zz_explodes", 1), {}) is False
    assert evaluate(one("n", "zz_is_even"), {}) is False


def test_operator_objects_check_prepare_and_decide_missing(plugins: Path) -> None:
    assert evaluate(one("t", "zz_seconds_under", "s"), {"t": 0.5}) is True
    assert evaluate(one("t", "zz_seconds_under", "ms"), {"t": 0.5}) is False
    with pytest.raises(InvalidConditions) as caught:
        validate(one("t", "zz_seconds_under", "minutes"))
    assert caught.value.details == [
        {"path": "all[0]", "problem": "operator 'zz_seconds_under' needs 's' or 'ms'"}
    ]
    assert explain(one("t", "zz_seconds_under", "s"), {"t": 0.5})["rules"][0]["expected"] == "s"
    assert evaluate(one("c", "zz_absent_or_zero"), {}) is True
    assert evaluate(one("c", "zz_absent_or_zero"), {"c": 0}) is True
    assert evaluate(one("c", "zz_absent_or_zero"), {"c": 1}) is False


def test_a_raising_plugin_makes_its_rule_false_and_is_logged_once(
    plugins: Path, logs: list[str]
) -> None:
    condition = compile({"any": [one("n", "zz_explodes", 1), one("n", "equal", 1)]})
    for _ in range(3):
        assert condition.evaluate({"n": 1}) is True
        assert condition.explain({"n": 1})["rules"][0]["rules"][0]["result"] is False
    assert evaluate(one("n", "zz_explodes", 1), {"n": 2}) is False
    reported = [line for line in logs if line.startswith("operator 'zz_explodes' raised")]
    assert len(reported) == 1
    assert "ZeroDivisionError: plugin bug" in reported[0]


def test_only_a_real_true_counts(plugins: Path) -> None:
    assert evaluate(one("n", "zz_truthy", 1), {"n": 1}) is False


def test_broken_plugins_are_logged_and_skipped(plugins: Path, logs: list[str]) -> None:
    names = operator_names()
    assert {"zz_divisible_by", "zz_is_even", "zz_seconds_under", "equal"} <= set(names)
    assert not {"zz_broken", "zz_not_callable", "zz_missing_attr"} & set(names)
    text = "\n".join(logs)
    assert "zz_broken = zz_condition_ops_broken:anything failed to load" in text
    assert "boom at import" in text
    assert "zz_missing_attr" in text
    assert "zz_not_callable = zz_condition_ops:NOT_AN_OPERATOR skipped: it is a int" in text
    assert "'equal' is built in" in text
    with pytest.raises(InvalidConditions, match="unknown operator 'zz_broken'"):
        validate(one("n", "zz_broken", 1))


def test_builtins_cannot_be_replaced(plugins: Path) -> None:
    assert evaluate(one("n", "equal", 1), {"n": 2}) is False


def test_scan_is_lazy_cached_and_clearable(plugins: Path, tmp_path: Path) -> None:
    assert evaluate(one("n", "equal", 1), {"n": 1})
    assert "zz_condition_ops" not in sys.modules  # built-ins alone never scan plugins
    assert "zz_late" not in operator_names()
    late = plugins / "zz_late-1.0.dist-info"
    late.mkdir()
    late.joinpath("METADATA").write_text("Metadata-Version: 2.1\nName: zz-late\nVersion: 1.0\n")
    late.joinpath("entry_points.txt").write_text(
        "[legion.operators]\nzz_late = zz_condition_ops:always\n"
    )
    assert "zz_late" not in operator_names()
    clear_cache()
    assert "zz_late" in operator_names()
    assert evaluate(one("n", "zz_late", 0), {"n": 1}) is True


def test_did_you_mean_covers_plugins(plugins: Path) -> None:
    with pytest.raises(InvalidConditions, match=r"did you mean 'zz_divisible_by'\?"):
        validate(one("n", "zz_divisible", 3))
