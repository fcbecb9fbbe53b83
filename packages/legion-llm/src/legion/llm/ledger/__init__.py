"""The cost ledger: one record per request and per attempt, written off the request path."""
