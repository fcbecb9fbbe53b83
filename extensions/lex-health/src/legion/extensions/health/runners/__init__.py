"""Runners of lex-health."""
