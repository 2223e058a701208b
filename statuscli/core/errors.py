"""Exit codes and the errors that carry them.

Every failure a user can meet is one of these classes; `cli.main` is the one place that turns them into
a one-line message and an exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. A public contract: never renumber."""

    SUCCESS = 0
    FAILURE = 1
    USAGE = 2
    PENDING = 3
    AUTH = 4
    NOT_FOUND = 5
    API = 6
    INTERNAL = 70
    DEADLINE = 124
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143


#: Most serious first: with several tasks the exit code is the first of these that any task produced.
SEVERITY: tuple[ExitCode, ...] = (
    ExitCode.AUTH,
    ExitCode.NOT_FOUND,
    ExitCode.API,
    ExitCode.FAILURE,
    ExitCode.DEADLINE,
    ExitCode.PENDING,
    ExitCode.SUCCESS,
)


def most_serious(codes: list[ExitCode]) -> ExitCode:
    """The exit code for a run whose tasks ended with `codes` (success when there are none)."""
    present = set(codes)
    for code in SEVERITY:
        if code in present:
            return code
    for code in codes:  # not in the ranking (usage, internal; never a task's outcome): the first one
        return code
    return ExitCode.SUCCESS


class StatusCliError(Exception):
    """Base of every expected failure: a stable `code` string, a user message and an exit code.

    `message` may hold text a server sent: renderers sanitize it before showing it.
    """

    exit_code: ExitCode = ExitCode.API
    code: str = "error"
    #: A transient error may go away when the same request is repeated later (watch retries it).
    transient: bool = False
    #: A fresh attempt at once may succeed: no answer came (connection, response head), or the error
    #: page of a transient status broke off. Set by the HTTP client; read by `retry.worth_retrying`.
    repeatable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transient: bool | None = None,
        retry_after: float | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient
        self.retry_after = retry_after
        self.http_status = http_status

    def __str__(self) -> str:
        return self.message


def repeatable(error: StatusCliError) -> StatusCliError:
    """`error`, marked as one a fresh attempt at once may mend (see `retry.worth_retrying`)."""
    error.repeatable = True
    return error


class UsageError(StatusCliError, ValueError):
    """Bad arguments, options or settings (exit 2); also a `ValueError`, as Python code expects."""

    exit_code = ExitCode.USAGE
    code = "usage_error"


class ConfigError(UsageError):
    """A config file that cannot be used (exit 2)."""

    code = "config_error"


class AuthError(StatusCliError):
    """No key configured, or the key was rejected (exit 4)."""

    exit_code = ExitCode.AUTH
    code = "auth_failed"


class NotFoundError(StatusCliError):
    """The task or endpoint does not exist (exit 5)."""

    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class ApiError(StatusCliError):
    """The API or the network failed, or sent something that is not the documented JSON (exit 6)."""

    exit_code = ExitCode.API
    code = "api_error"


class ApiTimeoutError(ApiError, TimeoutError):
    """No answer in time: an attempt past its read or connect timeout, or a one-shot past its overall
    time limit (exit 6, code "timeout"); also a `TimeoutError`, as Python code expects."""

    code = "timeout"
    transient = True


class BadResponseError(ApiError):
    """The answer is not the documented JSON: HTML, truncated, the wrong shape or too large (exit 6).

    Transient: a server mid-deploy sends such pages for a while, so a watch polls again.
    """

    code = "bad_response"
    transient = True


class Signalled(BaseException):
    """SIGTERM or SIGHUP: handled like Ctrl-C (terminal restored, summary printed), exit 128 + signal.

    Not a KeyboardInterrupt, which Typer turns into exit 130 on its way out.
    """

    def __init__(self, code: ExitCode) -> None:
        super().__init__()
        self.code = code
