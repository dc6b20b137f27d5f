"""Loads sql/<workload>/<name>.sql and fills its ${VAR} placeholders (also used for config templates).

A placeholder left unfilled is an error, not an empty string: a query with a hole in it
would otherwise reach the engine and fail there with a far less readable message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from streamlab.errors import LabError
from streamlab.paths import SQL_DIR

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, object]) -> str:
    missing = placeholders(text) - set(values)
    if missing:
        raise LabError(f"placeholders without a value: {', '.join(sorted(missing))}")
    # only ${NAME} is a placeholder: a lone $ stays, as JSON paths like '$.ts' need it to
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


def load(workload: str, name: str, values: Mapping[str, object] | None = None) -> str:
    """The statement in sql/<workload>/<name>.sql, comments kept, placeholders filled."""
    path = SQL_DIR / workload / f"{name}.sql"
    if not path.is_file():
        raise LabError(f"missing SQL file {path.relative_to(SQL_DIR.parent)}")
    text = path.read_text(encoding="utf-8").strip().rstrip(";")
    return render(text, values or {})


def load_text(workload: str, file_name: str) -> str:
    """A fragment a statement shares through a placeholder (e.g. a long regular expression), verbatim."""
    path = SQL_DIR / workload / file_name
    if not path.is_file():
        raise LabError(f"missing file {path.relative_to(SQL_DIR.parent)}")
    return path.read_text(encoding="utf-8").strip()
