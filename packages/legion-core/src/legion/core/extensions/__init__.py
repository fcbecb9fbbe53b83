"""The extension SDK: how a `lex-<name>` package declares runners, actors, settings and needs,
and how Legion discovers the installed ones through the `legion.extensions` entry-point group."""
