"""`streamlab lesson [NAME ENGINE]`: the lessons, or one run on one engine with its verdict (streamlab.lessons)."""

from __future__ import annotations

import argparse

from streamlab import display
from streamlab.cli.common import bootstrap_or_embedded
from streamlab.cli.flags import bootstrap_flag
from streamlab.errors import LabError
from streamlab.settings import ENGINES


class NotAsExpected(LabError):
    """The run did not bear the lesson out: exit 1, like a check that differs."""

    exit_code = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    from streamlab.lessons import LESSONS

    lesson = commands.add_parser(
        "lesson",
        help="the seed's lessons as experiments: list them, or run one on an engine and get its verdict",
        description="Without arguments: the lessons. With NAME ENGINE: runs the lesson on that engine, prints what "
        "happened in the engine's words and figures, then one verdict line; exit 1 when the run did not bear the "
        "lesson out.",
    )
    lesson.add_argument("name", nargs="?", choices=list(LESSONS), metavar="NAME", help=", ".join(LESSONS))
    lesson.add_argument("engine", nargs="?", choices=ENGINES, metavar="ENGINE", help="flink or spark")
    bootstrap_flag(lesson)


def cmd_lesson(args: argparse.Namespace) -> None:
    from streamlab import lessons

    if args.name is None:
        display.show(
            [{"lesson": lesson.name, "the question": lesson.question, "page": lesson.page}
             for lesson in lessons.LESSONS.values()],
            title="lessons: `streamlab lesson NAME flink|spark` runs one",
        )  # fmt: skip
        return
    if args.engine is None:
        raise LabError(f"which engine? `streamlab lesson {args.name} flink` or `... spark`")
    lesson = lessons.get(args.name)
    display.console.print(f"lesson {lesson.name} on {args.engine}: {lesson.question} ({lesson.page})")
    outcome = lesson.run(lessons.LessonRun(lesson.name, args.engine, bootstrap_or_embedded(args)))
    display.console.print()
    for line in outcome.said:
        display.console.print(f"  {line}", highlight=False, soft_wrap=True)
    colour = "green" if outcome.held else "red"
    display.console.print(f"[{colour}]{outcome.verdict}[/]", highlight=False, soft_wrap=True)
    if not outcome.held:
        raise NotAsExpected(f"the run did not bear the lesson out; see {lesson.page} for what to look for")
