from importlib.metadata import version

import legion.apollo


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-apollo") == legion.apollo.__version__
