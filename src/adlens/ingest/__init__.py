"""Ingest: turn a platform export into unified rows in the store (see ``pipeline``)."""

from adlens.ingest.mapping import Mapping, for_platform, load_mapping
from adlens.ingest.pipeline import ingest_file, inspect_file
from adlens.ingest.report import IngestReport

__all__ = [
    "IngestReport",
    "Mapping",
    "for_platform",
    "ingest_file",
    "inspect_file",
    "load_mapping",
]
