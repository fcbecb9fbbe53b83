"""Wire formats: each module reads and writes one API format, as a client dialect and as an
upstream."""
