"""Many reads from OpenTrain, one after another, handed over in chunks while the caller writes.

A full reconciliation reads every changed contract and writes each chunk of answers while the
next ones are read. A few reads go to a thread. Many (`OT_SYNC_READ_PROCESS_FROM`) go to a forked
process: reading and writing then run at once on two cores, where a thread and the writer took
turns on one interpreter lock. Either way the reader touches no database, and after a fork the
API client opens connections of its own.

The answers come in order, then the end: nothing more when every read was made, or the error that
stopped them, raised in the caller once the answers before it were handed over.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import multiprocessing
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings

from dashboard import opentrain

logger = logging.getLogger("dashboard.sync")
DONE = "reads done"  # a string: it comes back from a process as itself
FLUSH_SECONDS = 1.0  # a chunk goes to the writer at least this often, however slow the reads
SWITCH_INTERVAL = 0.001  # seconds, while a reader thread and the writer share the interpreter
STALL_SECONDS = 600.0  # a reader process that sends nothing for this long is stopped
EXIT_SECONDS = 10.0
PIPE_BYTES = 1 << 20  # about 500 answers: the process reads on while the writer writes a chunk
BATCH = 50  # answers a message from the process: one wake-up of the writer for many
BATCH_SECONDS = 0.05


class ReadsStopped(RuntimeError):
    """The reads ended without their end: the reader was killed, stopped, or silent too long."""

    def __init__(self):
        super().__init__("the contract reads stopped")


def in_chunks(read: Callable, items: list, size: int) -> Iterator[list]:
    """`read(item)` for each item, in lists of at most `size` (or what came within
    FLUSH_SECONDS), read ahead while the caller handles the list before. Close the iterator
    (`contextlib.closing`) to stop the reads early."""
    if _worth_a_process(len(items)):
        logger.info("reading %d contracts in a process of their own", len(items))
        reader = _Process(read, items)
    else:
        reader = _Thread(read, items)
    try:
        while True:
            chunk, end = _next_chunk(reader, size)
            if chunk:
                yield chunk
            if isinstance(end, Exception):
                raise end
            if end == DONE:
                return
    finally:
        reader.stop()


def _worth_a_process(count: int) -> bool:
    """Many reads, through the pooled client (a test's client installed in this process stays
    here), where processes can fork."""
    return (
        count >= settings.OT_SYNC_READ_PROCESS_FROM
        and opentrain.pooled_client_in_use()
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _next_chunk(reader, size: int) -> tuple[list, object]:
    """Up to `size` answers, waiting at most FLUSH_SECONDS once the first came; and the end
    (DONE or an exception) if it came. A reader gone without a word, or silent for
    STALL_SECONDS, ends it too."""
    chunk: list = []
    flush_at = None
    silent_since = time.monotonic()
    while len(chunk) < size:
        wait = FLUSH_SECONDS if flush_at is None else max(0.0, flush_at - time.monotonic())
        try:
            item = reader.get(wait)
        except queue.Empty:
            if flush_at is not None:
                break
            if not reader.is_alive() or time.monotonic() - silent_since > reader.stall_seconds:
                return chunk, ReadsStopped()
            continue
        if _is_end(item):
            return chunk, item
        chunk.append(item)
        flush_at = flush_at or time.monotonic() + FLUSH_SECONDS
    return chunk, None


def _is_end(item) -> bool:
    """Whether a reader's item is its end (DONE, or the error that stopped it), not an answer."""
    return (isinstance(item, str) and item == DONE) or isinstance(item, Exception)


def _read_all(read: Callable, items: list, put: Callable, stopped: Callable) -> None:
    """`put` each item's answer, then the end: DONE, or the error that stopped the reads."""
    end: object = ReadsStopped()  # what the writer sees if cut short
    try:
        with opentrain.quiet_successes():  # thousands of lines; the sync logs what it applied
            for item in items:
                if stopped():
                    return
                put(read(item))
        end = DONE
    except Exception as error:  # handed to the writer, which raises it
        end = error
    finally:
        put(end)


class _Thread:
    """The reads in a thread of this process."""

    stall_seconds = float("inf")  # a thread cannot hang where a forked process can

    def __init__(self, read: Callable, items: list):
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=_read_all,
            args=(read, items, self.answers.put, self.stopping.is_set),
            name="reconcile-reads",
            daemon=True,
        )
        # The writer would hold the interpreter up to the switch interval (5 ms) each time an
        # answer arrives: a shorter one hands it back to the reader as soon as its bytes are in.
        self.interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.thread.start()

    def get(self, timeout: float):
        return self.answers.get(timeout=timeout)

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(EXIT_SECONDS)
        sys.setswitchinterval(self.interval)


class _Process:
    """The reads in a forked process, its answers coming back over a pipe in batches."""

    stall_seconds = STALL_SECONDS

    def __init__(self, read: Callable, items: list):
        fork = multiprocessing.get_context("fork")
        self.pipe, theirs = fork.Pipe(duplex=False)
        # Linux: room for a chunk's worth, so the reads go on while a chunk is written.
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(theirs.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.received: collections.deque = collections.deque()
        self.stopping = fork.Event()
        self.process = fork.Process(
            target=_read_in_process,
            args=(read, items, theirs, self.stopping),
            name="reconcile-reads",
            daemon=True,
        )
        self.process.start()
        theirs.close()  # the child's now: a child that dies leaves this end reading EOF

    def get(self, timeout: float):
        if not self.received:
            if not self.pipe.poll(timeout):
                raise queue.Empty
            try:
                self.received.extend(self.pipe.recv())
            except EOFError:  # the process is gone without a word
                return ReadsStopped()
        return self.received.popleft()

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        self.stopping.set()
        self.pipe.close()  # a read in flight then finds nobody to hand its answer to
        self.process.join(EXIT_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _read_in_process(read: Callable, items: list, pipe, stopping) -> None:
    batch = _Batches(pipe)
    # The writer gone (it stopped the reads): nobody to hand the rest to.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        _read_all(read, items, batch.put, stopping.is_set)


class _Batches:
    """The process's end of the pipe: answers sent BATCH at a time, or what came within
    BATCH_SECONDS, and the end at once."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.batch: list = []
        self.since = 0.0

    def put(self, item) -> None:
        if not self.batch:
            self.since = time.monotonic()
        self.batch.append(item)
        if (
            _is_end(item)
            or len(self.batch) >= BATCH
            or time.monotonic() - self.since >= BATCH_SECONDS
        ):
            self.pipe.send(self.batch)
            self.batch = []
