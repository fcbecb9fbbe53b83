"""The `legion` and `legionio` command lines (click), with lazily imported subcommands."""
