"""Runners of lex-log."""
