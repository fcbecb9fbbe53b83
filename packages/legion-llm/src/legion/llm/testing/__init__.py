"""Test doubles that speak the real wire formats (mock upstream providers with fault injection)."""
