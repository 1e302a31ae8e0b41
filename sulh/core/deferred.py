"""Appends to the chained logs (audit trail, transparency log) made at the end of a
registration's transaction rather than where they happen.

Each log appends under a lock on its one head row, held until the transaction
commits. Written where they happen, a registration would hold both heads through
matching, and registrations everywhere would queue behind each other; written at the
end, in the same order and the same transaction, the heads are held for milliseconds.
Nothing is lost: if the transaction fails, the appends go with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def appends_at_end() -> Iterator[None]:
    """Within a transaction: queue the log appends and write them when the block ends."""
    if getattr(_local, "queue", None) is not None:  # nested: the outer block writes
        yield
        return
    queue: list[Callable[[], object]] = []
    _local.queue = queue
    try:
        yield
    finally:
        _local.queue = None
    for write in queue:
        write()


def defer(write: Callable[[], object]) -> bool:
    """Queue ``write`` when inside ``appends_at_end``; False when it must run now."""
    queue = getattr(_local, "queue", None)
    if queue is None:
        return False
    queue.append(write)
    return True
