"""`python -m legion.app.cli` runs `legion`."""

from legion.app.cli.main import legion

legion()
