from importlib.metadata import version

import legion.llm


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-llm") == legion.llm.__version__
