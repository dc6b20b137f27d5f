"""Every path the lab uses, derived from the repository root (never from the caller's cwd), and the
one check every output path given on the command line passes (output_path)."""

from __future__ import annotations

import os
from pathlib import Path

from streamlab.errors import LabError

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = REPO_ROOT / ".run"  # broker data, logs, pid files, checkpoints: git-ignored
JARS_DIR = REPO_ROOT / "jars"
SQL_DIR = REPO_ROOT / "sql"
COMPOSE_DIR = REPO_ROOT / "compose"

OUTPUT_ROOT_ENV = "STREAMLAB_OUTPUT_ROOT"


def output_root() -> Path:
    """The folder output paths given on the command line must stay in: $STREAMLAB_OUTPUT_ROOT if set,
    else the current folder. Resolved, so a root reached through a symlink (macOS's /tmp) still holds."""
    chosen = os.environ.get(OUTPUT_ROOT_ENV, "")
    root = Path(chosen) if chosen else Path.cwd()
    if not root.is_dir():
        raise LabError(f"{OUTPUT_ROOT_ENV}={chosen} is not a folder: create it, or point {OUTPUT_ROOT_ENV} at one")
    return root.resolve()


def output_path(path: Path, flag: str) -> Path:
    """path resolved ('..' and every symlink followed), if that stays inside the output root or the
    lab's own .run folder (its default outputs, which `check`, `chaos` and batch runs pass to the
    processes they start); a LabError naming the root and the fix otherwise.

    A root itself is refused too: a bounded run deletes its checkpoint folder, and an output folder is
    cleared or filled, which must never be the whole root (the checkout, say)."""
    root = output_root()
    resolved = path.resolve()
    allowed = (root, RUN_DIR.resolve())
    if resolved in allowed:
        which = "the output root" if resolved == root else "the lab's .run folder"
        raise LabError(f"{flag} {path} is {resolved}, {which} itself: give a folder inside it, e.g. {path / 'out'}")
    if any(resolved.is_relative_to(folder) for folder in allowed):
        return resolved
    if ".." in path.parts:
        how = "climbs through '..' to"
    elif Path(os.path.abspath(path)) != resolved:  # the same text without following symlinks
        how = "follows a symlink to"
    else:
        how = "is"
    where = f"from ${OUTPUT_ROOT_ENV}" if os.environ.get(OUTPUT_ROOT_ENV) else "the current folder"
    raise LabError(
        f"{flag} {path} {how} {resolved}, outside the output root {root} ({where}): give a path inside "
        f"{root}, or set {OUTPUT_ROOT_ENV} to a folder that holds {resolved}"
    )
