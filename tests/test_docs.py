"""The docs against the code: every `streamlab ...` and `make ...` command quoted in README.md and docs/
parses with the real CLI parser and names real Makefile targets, and every relative link resolves (to a
file, and to a heading when it names one)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from streamlab import workloads
from streamlab.cli import build_parser
from streamlab.paths import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
INLINE_CODE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MAKE_TARGETS = set(re.findall(r"^([a-zA-Z][\w-]*):", (REPO_ROOT / "Makefile").read_text(), flags=re.M))


def quoted_commands(page: Path) -> list[tuple[int, str]]:
    """(line number, command) for every `streamlab`/`make` command in inline code or a fenced block."""
    found, fenced, pending = [], False, ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            text = pending + re.sub(r"\s+#.*$", "", line.strip())
            if text.endswith("\\"):  # a command continued on the next line
                pending = text[:-1] + " "
                continue
            pending = ""
            if text.startswith(("streamlab ", "make ")):
                found.append((number, text))
            continue
        found += [(number, code) for code in INLINE_CODE.findall(line) if code.startswith(("streamlab ", "make "))]
    return found


def links(page: Path) -> list[tuple[int, str]]:
    found, fenced = [], False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            found += [(number, target) for target in LINK.findall(line) if not re.match(r"^[a-z]+:", target)]
    return found


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as dashes."""
    seen: dict[str, int] = {}
    found, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        heading = re.match(r"^#+\s+(.*)", line)
        if heading and not fenced:
            slug = re.sub(r"[^\w\- ]", "", heading[1].strip().lower()).replace(" ", "-")
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found


def parse_error(command: str) -> str:
    """'' when the command is one the CLI or the Makefile takes; else why not."""
    argv = shlex.split(command)
    if argv[0] == "make":
        unknown = [word for word in argv[1:] if "=" not in word and word not in MAKE_TARGETS]
        return f"no make target {unknown}" if unknown or len(argv) == 1 else ""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args, extra = build_parser().parse_known_args(argv[1:])
            if extra and args.command != "demo":
                return f"unrecognized arguments {extra}"
            if extra:  # a demo passes what it does not know to the workload's producer
                workloads.get(args.workload).producer_options(extra)
    except SystemExit:
        return stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else "exits"
    return ""


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_quoted_command_parses(page: Path) -> None:
    bad = [f"line {number}: {command!r}: {why}" for number, command in quoted_commands(page)
           if (why := parse_error(command))]  # fmt: skip
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    bad = []
    for number, target in links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            bad.append(f"line {number}: {target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            bad.append(f"line {number}: {target}: no such heading")
    assert not bad, "\n".join(bad)


def test_the_pages_quote_commands_at_all() -> None:
    """The checks above must have something to check: the README alone quotes a dozen commands."""
    assert len(quoted_commands(REPO_ROOT / "README.md")) >= 12
    assert sum(len(links(page)) for page in PAGES) >= 50


def test_the_readme_stays_short() -> None:
    assert len((REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
