"""Runners of lex-ping."""
