"""The one rule for destroying anything: the lab deletes or clears only topics and folders it created.

Topics are remembered per cluster (by the cluster's id, whatever address reached it) with the id the
broker gave each topic the lab created. A topic of the same name that someone else deletes and makes
again has another id: it is no longer the lab's. This holds on the embedded cluster too, where users
keep topics of their own.

Folders are marked with a hidden file (MARKER) when the lab creates them, or takes over an empty one
(nothing in it to lose). A marked folder is the lab's, and so is everything inside it: a rerun into
the same --output-dir replaces what the last run wrote. The lab's state folder, .run in the checkout,
is the lab's throughout (its defaults live there; it is git-ignored and documented as the lab's).

Anything else is left untouched. `clear` checks every topic and folder first and stops, before it
deletes anything, with one line naming what is not the lab's and the fix.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from streamlab import kafka_admin
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR

MARKER = ".streamlab-owned"  # hidden: results readers skip dot files (results.visible_files)
LEDGER = "owned-topics.json"  # {cluster id: {topic: topic id}}, in the lab's .run folder
TOPIC_FIX = "give the run topics of its own with --topic-prefix P or --topic ROLE=NAME"
FOLDER_FIX = "choose another folder (--output-dir, --checkpoint-dir), or empty it yourself"


class NotOurs(LabError):
    """Something a command would have to delete or clear was not created by the lab."""


# ---- folders ----------------------------------------------------------------------------------------


def make_folder(folder: Path) -> Path:
    """The folder, created if missing: every folder the lab creates on the way is marked as the lab's, and so
    is an empty one it is handed (there is nothing in it to lose; what the lab writes there is its own)."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for created in missing:
        (created / MARKER).touch()
    if not any(folder.iterdir()):
        (folder / MARKER).touch()
    return folder


def owns_folder(folder: Path) -> bool:
    """The folder is in the lab's own state folder (.run), or it or a folder it is in carries the lab's mark."""
    resolved = folder.resolve()
    if resolved.is_relative_to(RUN_DIR.resolve()):
        return True
    return any((candidate / MARKER).is_file() for candidate in (resolved, *resolved.parents))


def state_folder(folder: Path) -> bool:
    """.run itself, the embedded cluster's data in it, or a folder that holds them: never an output to clear
    (`cluster down --wipe` removes the cluster's data on purpose, through remove_folder(..., state=True))."""
    resolved = folder.resolve()
    kept = (RUN_DIR.resolve(), RUN_DIR.resolve() / "kafka")
    return any(place.is_relative_to(resolved) for place in kept)


def clearable_folder(folder: Path) -> bool:
    """Missing, empty, or the lab's (and not its state): clearing it destroys nothing of anyone else's."""
    if not folder.exists():
        return True
    if state_folder(folder):
        return False
    return (folder.is_dir() and not any(folder.iterdir())) or owns_folder(folder)


def remove_folder(folder: Path, state: bool = False) -> None:
    """Delete a folder of the lab's with everything in it; one that is not the lab's is refused. state=True:
    the lab's own state may go too (the embedded cluster's data, by `cluster down --wipe`)."""
    if not folder.exists():
        return
    if not (clearable_folder(folder) or (state and owns_folder(folder))):
        raise NotOurs(_foreign_folder(folder))
    shutil.rmtree(folder)


def _foreign_folder(folder: Path) -> str:
    if folder.exists() and state_folder(folder):
        return f"folder {folder} holds the lab's own state (broker data, the topic ledger): {FOLDER_FIX}"
    return f"folder {folder} holds files the lab did not write (it has no {MARKER} mark): {FOLDER_FIX}"


# ---- topics -----------------------------------------------------------------------------------------


LEDGER_ENV = "STREAMLAB_LEDGER"  # another ledger file (the tests keep theirs apart from the checkout's)


def _ledger_path() -> Path:
    chosen = os.environ.get(LEDGER_ENV)
    return Path(chosen) if chosen else RUN_DIR / LEDGER


@contextlib.contextmanager
def _ledger() -> Iterator[dict[str, dict[str, str]]]:
    """The ledger, locked against the lab's other processes (a check runs engines side by side) while a
    caller reads or changes it; written back when the block ends."""
    path = _ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        before = json.dumps(recorded, sort_keys=True)
        yield recorded
        if json.dumps(recorded, sort_keys=True) != before:
            written = path.with_suffix(".tmp")
            written.write_text(json.dumps(recorded, indent=1, sort_keys=True), encoding="utf-8")
            written.replace(path)


def remember_topics(bootstrap_servers: str, names: Sequence[str]) -> None:
    """Called right after the lab created these topics: their ids go into the ledger (once the broker asked
    knows every one of them: a new topic's metadata reaches each broker a moment later)."""
    if not names:
        return
    found: dict[str, tuple[str, dict[str, str]]] = {}

    def known() -> bool:
        found["ids"] = kafka_admin.topic_ids(bootstrap_servers, names)
        return set(found["ids"][1]) == set(names)

    kafka_admin.wait_until(known, 30, f"the ids of {', '.join(names)}")
    cluster_id, ids = found["ids"]
    with _ledger() as ledger:
        ledger.setdefault(cluster_id, {}).update(ids)


def foreign_topics(bootstrap_servers: str, names: Sequence[str]) -> list[str]:
    """Those of the topics that exist and were not created by the lab (or were made again since)."""
    return _split_topics(bootstrap_servers, names)[1]


def _split_topics(bootstrap_servers: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """(the cluster's id, the existing topics among names that are not the lab's)."""
    cluster_id, ids = kafka_admin.topic_ids(bootstrap_servers, names)
    with _ledger() as ledger:
        ours = ledger.get(cluster_id, {})
    return cluster_id, sorted(name for name, topic_id in ids.items() if ours.get(name) != topic_id)


def delete_topics(bootstrap_servers: str, names: Sequence[str]) -> list[str]:
    """Delete those of the topics that exist, all of them the lab's; a foreign one stops it before any goes.
    (Kafka deletes by name: a topic made again between this check and the deletion, within a second, would
    be lost. The admin clients here cannot delete by topic id.)"""
    cluster_id, foreign = _split_topics(bootstrap_servers, names)
    if foreign:
        raise NotOurs(_foreign_topics(foreign))
    deleted = kafka_admin.delete_topics(bootstrap_servers, list(names))
    with _ledger() as ledger:
        for name in deleted:
            ledger.get(cluster_id, {}).pop(name, None)
    return deleted


def _foreign_topics(names: list[str]) -> str:
    if len(names) == 1:
        return f"topic {names[0]} exists and was not created by the lab: {TOPIC_FIX}"
    return f"topics {', '.join(names)} exist and were not created by the lab: {TOPIC_FIX}"


# ---- both at once -----------------------------------------------------------------------------------


def clear(bootstrap_servers: str = "", topics: Sequence[str] = (), folders: Sequence[Path] = ()) -> list[str]:
    """Delete these topics and folders, all of them the lab's; checks every one before anything is touched.
    Returns the topics deleted."""
    foreign_folders = [folder for folder in folders if not clearable_folder(folder)]
    if foreign_folders:
        raise NotOurs(_foreign_folder(foreign_folders[0]))
    if topics:
        foreign = foreign_topics(bootstrap_servers, topics)
        if foreign:
            raise NotOurs(_foreign_topics(foreign))
    for folder in folders:
        remove_folder(folder)
    return delete_topics(bootstrap_servers, topics) if topics else []


def ensure_topics(bootstrap_servers: str, specs: Sequence[kafka_admin.TopicSpec]) -> list[str]:
    """Create the topics that are missing, remembered as the lab's; returns the names created."""
    created = kafka_admin.ensure_topics(bootstrap_servers, list(specs))
    remember_topics(bootstrap_servers, created)
    return created
