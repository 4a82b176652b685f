"""Many reads from OpenTrain, handed over in order and in chunks while the caller writes.

A full reconciliation reads every changed contract and writes each chunk of answers while the
next ones are read: the reads run in a thread pool beside the writer (READERS threads), at most
READ_AHEAD_CHUNKS chunks ahead of it. The readers touch no database.

The answers come in order, then the end: nothing more when every read was made, or the error that
stopped them, raised in the caller once the answers before it were handed over.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from dashboard import opentrain

# One reader, as before: OpenTrain's limits for a token are not documented (`sync._paced` waits
# out its 429s), and against a fast upstream a second reader took 10% off the wall time at best:
# the readers and the writer take turns on one interpreter lock.
READERS = 1
READ_AHEAD_CHUNKS = 2  # answers read or being read, in chunks, while the caller handles one
FLUSH_SECONDS = 1.0  # a chunk goes to the caller at least this often, however slow the reads
_END = object()


def in_chunks(read: Callable, items: list, size: int) -> Iterator[list]:
    """`read(item)` for each item, in lists of at most `size` (or what came within
    FLUSH_SECONDS of the list's first), read ahead while the caller handles the list before.
    Close the iterator (`contextlib.closing`) to stop the reads early: it returns once the reads
    in flight have ended, and no reader is left running."""
    pool = ThreadPoolExecutor(READERS, thread_name_prefix="reconcile-reads")
    try:
        yield from _chunks(pool, read, iter(items), size)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # what was not read yet never is


def _chunks(pool: ThreadPoolExecutor, read: Callable, todo: Iterator, size: int):
    pending: collections.deque[Future] = collections.deque()
    chunk: list = []
    flush_at = None
    while True:
        while len(pending) < size * READ_AHEAD_CHUNKS and (item := next(todo, _END)) is not _END:
            pending.append(pool.submit(_quietly, read, item))
        if not pending:
            break
        wait = None if flush_at is None else max(0.0, flush_at - time.monotonic())
        try:
            error = pending[0].exception(wait)
        except TimeoutError:  # the next answer is slow: hand over what came
            yield chunk
            chunk, flush_at = [], None
            continue
        if error is not None:
            if chunk:
                yield chunk
            raise error
        chunk.append(pending.popleft().result())
        flush_at = flush_at or time.monotonic() + FLUSH_SECONDS
        if len(chunk) >= size:
            yield chunk
            chunk, flush_at = [], None
    if chunk:
        yield chunk


def _quietly(read: Callable, item):
    # Thousands of lines otherwise; the sync logs what it applied. The setting is a context
    # variable, which a pool's thread does not inherit: it is set in the thread that reads.
    with opentrain.quiet_successes():
        return read(item)
