"""legion-apollo: the knowledge store (ingest, embeddings, retrieval, confidence, graph).

This distribution is a versioned skeleton: its features are not built yet (see the README's
status table). It exists now so the namespace, packaging and release path are exercised.
"""

from legion.apollo._version import __version__

__all__ = ["__version__"]
