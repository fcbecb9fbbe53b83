"""Runners of lex-transformer."""
