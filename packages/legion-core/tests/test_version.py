from importlib.metadata import version

import legion.core


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-core") == legion.core.__version__
