from importlib.metadata import version

import legion.mcp


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-mcp") == legion.mcp.__version__
