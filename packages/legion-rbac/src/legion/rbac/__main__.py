"""`python -m legion.rbac` runs the same CLI as `legion rbac`."""

from legion.rbac.cli import main

main()
