"""Worker threads leave the stop signals (Ctrl-C, SIGTERM, SIGHUP) to the main thread.

The kernel delivers a signal sent to the process to any thread that does not block it. One delivered
to a worker is only noticed by the main thread when it next wakes up, which a main thread waiting on
a queue for a hung server may not do for a minute. Each worker blocks them, so the main thread gets
them and its wait is cut short at once.
"""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def leave_signals_to_main_thread() -> None:
    """Block the stop signals in the calling thread (call it first thing in a worker thread)."""
    if hasattr(signal, "pthread_sigmask"):  # not on Windows, where only the main thread gets them
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def start_thread(thread: threading.Thread, purpose: str) -> None:
    """Start `thread`; when the system refuses (its limit of threads or memory is reached), an
    `ApiError` saying so instead of the bare RuntimeError ("can't start new thread")."""
    # The new thread inherits the signal mask of the one that starts it: blocked from its first
    # instruction, it can never be the thread the kernel hands a stop signal to.
    masked = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if masked else None
    try:
        thread.start()
    except RuntimeError as exc:
        from statuscli.core.errors import ApiError

        raise ApiError(
            f"cannot start a thread {purpose}: {exc} (the system's limit of threads or memory is reached)",
            transient=True,
        ) from None
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
