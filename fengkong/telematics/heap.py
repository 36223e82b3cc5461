"""Garbage-collector settings for a long-running tracker gateway process.

The ingest path allocates a few dozen container objects per position (decoded messages, row
dicts, futures), nearly all of them freed by reference counting within the batch. With the
default thresholds (700, 10, 10) the collector still runs a young collection every few
positions and, every so often, a full one that walks the whole heap: the application's
start-up objects (SQLAlchemy's metadata, mappers, compiled caches) included, which stalled the
event loop for hundreds of milliseconds in the ingest benchmark. `settle()`, called once the
listeners are up, moves what start-up made into the permanent generation (`gc.freeze`), so no
collection walks it again, and raises the young threshold so that collections are rarer.
Cycles are still collected; only less often.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000         # allocations between young collections (default 700)
OLDER_THRESHOLDS = (20, 10)      # young collections per middle one, middle per full one


def settle() -> None:
    """Collect once, freeze the survivors, then collect rarely (see the module docstring)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
