"""Loads sql/<workload>/<name>.sql and fills its ${VAR} placeholders (also used for config templates).

A placeholder left unfilled is an error, not an empty string: a query with a hole in it
would otherwise reach the engine and fail there with a far less readable message.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

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


# `run --sql NAME=FILE` while a job is built (see replacing): (workload, NAME) -> FILE
_replaced: dict[tuple[str, str], Path] = {}


def load(workload: str, name: str, values: Mapping[str, object] | None = None) -> str:
    """The statement in sql/<workload>/<name>.sql, comments kept, placeholders filled; from the file that
    `run --sql NAME=FILE` names instead, while that job is built (replacing)."""
    path = SQL_DIR / workload / f"{name}.sql"
    if not path.is_file():
        raise LabError(f"missing SQL file {path.relative_to(SQL_DIR.parent)}")
    path = _replaced.get((workload, name), path)
    text = path.read_text(encoding="utf-8").strip().rstrip(";")
    return render(text, values or {})


@contextlib.contextmanager
def replacing(workload: str, replaced: Mapping[str, Path]) -> Iterator[None]:
    """Every load of the workload's NAME reads FILE instead, while the job is built inside the block: one place
    for every job of every workload, none of which needs to know."""
    check_replaced(workload, replaced)
    _replaced.update({(workload, name): Path(path) for name, path in replaced.items()})
    try:
        yield
    finally:
        _replaced.clear()


def check_replaced(workload: str, replaced: Mapping[str, Path]) -> None:
    """Each NAME=FILE of `run --sql` names one of the workload's own statements and a file that exists: a typo
    would otherwise run the workload's own SQL without a word."""
    own = sorted(path.stem for path in (SQL_DIR / workload).glob("*.sql"))
    for name, path in replaced.items():
        if name not in own:
            raise LabError(f"--sql {name}=...: {workload} has no {name}.sql (its statements: {', '.join(own)})")
        if not Path(path).is_file():
            raise LabError(f"--sql {name}={path}: no such file")


def load_text(workload: str, file_name: str) -> str:
    """A fragment a statement shares through a placeholder (e.g. a long regular expression), verbatim."""
    path = SQL_DIR / workload / file_name
    if not path.is_file():
        raise LabError(f"missing file {path.relative_to(SQL_DIR.parent)}")
    return path.read_text(encoding="utf-8").strip()
