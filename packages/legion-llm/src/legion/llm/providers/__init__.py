"""Provider adapters: canonical requests to upstream APIs and back."""
