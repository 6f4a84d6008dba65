"""Errors that reach the user as one line on stderr and a documented exit code."""

from __future__ import annotations


class ExitCode:
    OK = 0
    FAILURE = 1  # a command ran and some of its work failed
    USAGE = 2  # bad option or argument (also Click's own usage errors)
    NOT_FOUND = 3  # unknown id or namespace
    INVALID_INPUT = 4  # a file or content that does not parse or validate (file:line)
    DATABASE = 5  # database cannot be opened, is locked past the timeout, or is corrupt
    MODEL = 6  # the embedding model cannot be loaded offline
    PROVIDER = 7  # optimize-prompt: a kind that needs an LLM has none, or the provider cannot be used
    TRAJECTORIES = 8  # optimize-prompt: the trajectories file is missing, unreadable or does not parse
    ALL_FAILED = 65  # a batch where every file and conversation failed: nothing extracted (EX_DATAERR)
    UNAVAILABLE = 69  # the database server went away mid-run (EX_UNAVAILABLE): that unit rolled back, run again
    TEMPFAIL = 75  # another run holds the lock (EX_TEMPFAIL): try again later
    INTERRUPTED = 130
    CLOSED_STDOUT = 141  # the reader of stdout went away (`langmem export | head -1`): 128 + SIGPIPE, as a shell shows it


class LangmemError(Exception):
    """Base class: the message is shown as is, with the exit code."""

    exit_code = ExitCode.FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(LangmemError):
    exit_code = ExitCode.USAGE


class NotFoundError(LangmemError):
    exit_code = ExitCode.NOT_FOUND


class InvalidInputError(LangmemError):
    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, message: str, *, location: str | None = None):
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location


class TrajectoriesError(InvalidInputError):
    """optimize-prompt: the trajectories file is missing or bad (a code of its own, for CI)."""

    exit_code = ExitCode.TRAJECTORIES


class ProviderUnusableError(LangmemError):
    """optimize-prompt: no LLM where one is needed, or the provider failed (after retries)."""

    exit_code = ExitCode.PROVIDER


class DatabaseError(LangmemError):
    exit_code = ExitCode.DATABASE


class ConnectionLostError(DatabaseError):
    """The database server went away mid-run (restart, network): the unit of work in progress was
    rolled back. Jobs stop at once rather than fail every remaining unit."""

    exit_code = ExitCode.UNAVAILABLE


class BusyError(LangmemError):
    """Another run holds the lock (consolidate): try again later."""

    exit_code = ExitCode.TEMPFAIL


class ModelError(LangmemError):
    exit_code = ExitCode.MODEL
