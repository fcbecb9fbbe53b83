"""Gateway configuration: LiteLLM's config.yaml as it is, plus Legion's own keys."""
