"""Version of the lex-ping distribution; the single place it is written."""

__version__ = "0.1.0"
