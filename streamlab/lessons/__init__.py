"""`streamlab lesson`: the seed's lessons as experiments on real jobs. Each lesson runs on one engine, prints
what happened in the engine's own words and figures, then one verdict line against what the lesson expects of
that engine. Each has a page in docs/lessons/.

The modules: common (Lesson, Outcome, the run's folder and topics), then one per lesson, in the seed's order:
query_change, checkpoint_lost, falling_behind, late_data, delivery.
"""

from __future__ import annotations

from streamlab.errors import LabError
from streamlab.lessons import checkpoint_lost, delivery, falling_behind, late_data, query_change
from streamlab.lessons.common import Lesson, LessonRun, Outcome

LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        query_change.LESSON,
        checkpoint_lost.LESSON,
        falling_behind.LESSON,
        late_data.LESSON,
        delivery.LESSON,
    )
}


def get(name: str) -> Lesson:
    if name not in LESSONS:
        raise LabError(f"no lesson {name!r}: choose one of {', '.join(LESSONS)} (`streamlab lesson` lists them)")
    return LESSONS[name]


__all__ = ["LESSONS", "Lesson", "LessonRun", "Outcome", "get"]
