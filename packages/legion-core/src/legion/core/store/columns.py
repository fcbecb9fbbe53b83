"""Column types and table options that mean the same thing on SQLite, PostgreSQL and MySQL.

MySQL's defaults differ where it matters: FLOAT is 4 bytes (an epoch time would lose minutes),
TEXT stops at 64 KiB, and the default collation compares case-insensitively.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Text
from sqlalchemy.dialects import mysql

# Seconds (epoch times, delays): double precision everywhere (PostgreSQL's FLOAT already is).
SECONDS = Float().with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
# Free text (tracebacks, templates, log messages): unbounded everywhere.
LONG_TEXT = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# Keys compare byte for byte, as on SQLite and PostgreSQL; utf8mb4 holds any character.
TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
