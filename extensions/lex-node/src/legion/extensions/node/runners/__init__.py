"""Runners of lex-node."""
