"""Runners of lex-exec."""
