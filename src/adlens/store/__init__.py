"""The embedded DuckDB store: facts, sessions, ingests and rejects."""

from adlens.store.db import Store, open_store

__all__ = ["Store", "open_store"]
