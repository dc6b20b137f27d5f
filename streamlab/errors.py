"""The one error type the CLI turns into a one-line message and a non-zero exit."""


class LabError(Exception):
    """A failure the user can fix; the message names the fix (e.g. "run make setup")."""

    exit_code = 2
