"""Runners of lex-http."""
