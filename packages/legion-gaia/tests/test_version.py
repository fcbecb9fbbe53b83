from importlib.metadata import version

import legion.gaia


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-gaia") == legion.gaia.__version__
