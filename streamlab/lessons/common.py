"""What every lesson shares: its description, the run it gets (engine, cluster, folder), and its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streamlab import display, ownership, workloads
from streamlab.paths import RUN_DIR
from streamlab.settings import Settings

LESSONS_DIR = RUN_DIR / "lessons"


@dataclass(frozen=True)
class LessonRun:
    """One run of a lesson: on which engine, against which Kafka cluster, with its folders below `folder`."""

    lesson: str
    engine: str
    bootstrap: str

    @property
    def folder(self) -> Path:
        return LESSONS_DIR / self.lesson / self.engine

    def prefix(self, variant: str = "") -> str:
        """The topic prefix of the lesson's run (a variant's)."""
        return f"lesson_{self.lesson.replace('-', '_')}_{self.engine}_{variant}_".replace("__", "_")

    def settings(self, workload: str, variant: str = "") -> Settings:
        """Fresh topics and folders of the lesson's own (deleted and made again: all of them the lab's)."""
        folder = self.folder / (variant or "run")
        settings = Settings(
            workload=workload, engine=self.engine, bootstrap_servers=self.bootstrap,
            topics=workloads.get(workload).topic_names(self.prefix(variant)), checkpoint_dir=folder / "checkpoints",
            output_dir=folder / "output",
        )  # fmt: skip
        deleted = ownership.clear(self.bootstrap, list(settings.topics.values()), [folder])
        if deleted:
            display.console.print(f"deleted the topics of the lesson's last run: {', '.join(deleted)}")
        ownership.make_folder(folder)
        return settings


@dataclass(frozen=True)
class Outcome:
    """What a lesson's run showed: lines in the engine's words and figures, what the lesson expects of this
    engine, and whether the run bore it out."""

    lesson: str
    engine: str
    said: tuple[str, ...]
    expected: str
    held: bool

    @property
    def verdict(self) -> str:
        word = "as expected" if self.held else "NOT as expected"
        return f"lesson {self.lesson} on {self.engine}: {word}: {self.expected}"


@dataclass(frozen=True)
class Lesson:
    name: str
    question: str  # what a learner asks
    page: str  # docs/lessons/NAME.md
    run: Callable[[LessonRun], Outcome]
