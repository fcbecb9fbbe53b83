"""Loading the extension, as discovery and `legion lex list` do, stays cheap: the database, the
engine, templating and HTTP load only when a function runs."""

from legion.core.testing import import_cost


def test_loading_the_extension_imports_no_heavy_module() -> None:
    cost = import_cost("legion.extensions.conditioner")
    assert cost.functions > 0
    assert cost.heavy == []
