"""Every path the lab uses, derived from the repository root (never from the caller's cwd). Paths given on
the command line may be anywhere: what protects them is streamlab.ownership (the lab clears only what it made)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = REPO_ROOT / ".run"  # broker data, logs, pid files, checkpoints: git-ignored
JARS_DIR = REPO_ROOT / "jars"
SQL_DIR = REPO_ROOT / "sql"
COMPOSE_DIR = REPO_ROOT / "compose"
