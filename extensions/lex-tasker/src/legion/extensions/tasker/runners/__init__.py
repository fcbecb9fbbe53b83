"""Runners of lex-tasker."""
