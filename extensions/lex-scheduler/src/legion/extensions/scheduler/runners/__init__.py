"""The scheduler's runners."""
