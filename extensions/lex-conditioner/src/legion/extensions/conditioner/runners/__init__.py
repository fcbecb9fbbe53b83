"""Runners of lex-conditioner."""
