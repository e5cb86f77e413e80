"""Exit codes and the exceptions that carry them (DESIGN §5).

Data problems are collected into reports, not raised. The exceptions here are for the cases where
the tool cannot go on: broken configuration, unreadable files, a failed gate. Each carries the exit
code the CLI turns it into, and a message written for a data steward.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # data invalid, or a build gate failed
EXIT_USAGE = 2
EXIT_CONFIG = 3  # configuration or I/O error
EXIT_PRIVACY = 4  # privacy / disclosure gate
EXIT_INTERRUPTED = 130


class CoprodError(Exception):
    """An error the CLI reports as a message and an exit code, without a traceback."""

    exit_code = EXIT_CONFIG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  → {self.hint}"


class ConfigError(CoprodError):
    """A codebook, reference table or package setting is broken."""

    exit_code = EXIT_CONFIG


class RawFileError(CoprodError):
    """A raw file cannot be read at all (missing, undecodable, not the declared format)."""

    exit_code = EXIT_INVALID


class GateError(CoprodError):
    """A build gate (validation, coverage, reconciliation) failed."""

    exit_code = EXIT_INVALID


class PrivacyError(CoprodError):
    """Something that identifies a person would be published."""

    exit_code = EXIT_PRIVACY
