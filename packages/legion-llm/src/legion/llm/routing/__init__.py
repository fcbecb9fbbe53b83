"""Choosing deployments: candidates, scores, circuit breakers, escalation."""
