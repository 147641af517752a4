"""Jejak's pure, deterministic domain: events, aggregates, rules and the state fold."""
