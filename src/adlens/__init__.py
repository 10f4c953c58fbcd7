"""adlens: turn marketing exports into one clean, queryable dataset.

The library is layered: ``schema`` and ``errors`` at the bottom, the ingest
stages (``adlens.ingest``) and the store (``adlens.store``) above them, and the
CLI as a thin shell on top.
"""

__version__ = "0.1.0"
