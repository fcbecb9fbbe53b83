"""Context curation: shrinking long conversations between turns, keeping recent turns verbatim."""
