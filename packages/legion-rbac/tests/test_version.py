from importlib.metadata import version

import legion.rbac


def test_installed_metadata_matches_the_version_module() -> None:
    assert version("legion-rbac") == legion.rbac.__version__
