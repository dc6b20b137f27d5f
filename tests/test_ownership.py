"""streamlab.ownership without a broker: which folders and topics the lab may clear, and that a refusal
comes before anything is touched. tests/integration/test_ownership.py points every clearing command at a
real broker's foreign topics and folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamlab import kafka_admin, ownership
from streamlab.ownership import NotOurs

CLUSTER = "cluster-a"


class Broker:
    """Topics by name with their ids, as kafka_admin.topic_ids and delete_topics see them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.ids: dict[str, str] = {}
        self.deleted: list[str] = []
        monkeypatch.setattr(ownership, "RUN_DIR", tmp_path / "run")
        monkeypatch.setenv(ownership.LEDGER_ENV, str(tmp_path / "run" / ownership.LEDGER))
        monkeypatch.setattr(kafka_admin, "topic_ids", self.topic_ids)
        monkeypatch.setattr(kafka_admin, "delete_topics", self.delete_topics)
        monkeypatch.setattr(kafka_admin, "ensure_topics", self.ensure_topics)

    def topic_ids(self, bootstrap: str, names: list[str]) -> tuple[str, dict[str, str]]:
        return CLUSTER, {name: self.ids[name] for name in names if name in self.ids}

    def delete_topics(self, bootstrap: str, names: list[str]) -> list[str]:
        gone = sorted(set(names) & set(self.ids))
        for name in gone:
            del self.ids[name]
        self.deleted += gone
        return gone

    def ensure_topics(self, bootstrap: str, specs: list[kafka_admin.TopicSpec]) -> list[str]:
        created = [spec.name for spec in specs if spec.name not in self.ids]
        for name in created:
            self.ids[name] = f"id-{name}-{len(self.deleted)}"
        return created

    def someone_else_creates(self, name: str) -> None:
        self.ids[name] = f"theirs-{name}"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Broker:
    return Broker(monkeypatch, tmp_path)


# ---- topics -------------------------------------------------------------------------------------------


def test_a_topic_the_lab_created_is_the_labs_to_delete(broker: Broker) -> None:
    ownership.ensure_topics("b:1", [kafka_admin.TopicSpec("lab_out")])
    assert ownership.foreign_topics("b:1", ["lab_out", "missing"]) == []
    assert ownership.delete_topics("b:1", ["lab_out", "missing"]) == ["lab_out"]


def test_a_topic_someone_else_made_is_refused_naming_it_and_the_fix(broker: Broker) -> None:
    broker.someone_else_creates("P_purchase_intents")
    with pytest.raises(
        NotOurs, match="topic P_purchase_intents exists and was not created by the lab: .*--topic-prefix"
    ):
        ownership.delete_topics("b:1", ["P_purchase_intents"])
    assert broker.deleted == []


def test_a_topic_deleted_and_made_again_by_someone_else_is_no_longer_the_labs(broker: Broker) -> None:
    ownership.ensure_topics("b:1", [kafka_admin.TopicSpec("shared")])
    del broker.ids["shared"]
    broker.someone_else_creates("shared")  # same name, new id
    assert ownership.foreign_topics("b:1", ["shared"]) == ["shared"]


def test_one_foreign_topic_stops_the_deletion_of_all_of_them(broker: Broker) -> None:
    ownership.ensure_topics("b:1", [kafka_admin.TopicSpec("lab_in")])
    broker.someone_else_creates("their_out")
    with pytest.raises(NotOurs, match="their_out"):
        ownership.clear("b:1", ["lab_in", "their_out"])
    assert set(broker.ids) == {"lab_in", "their_out"} and broker.deleted == []


# ---- folders ------------------------------------------------------------------------------------------


def test_a_folder_the_lab_makes_is_marked_and_cleared(broker: Broker, tmp_path: Path) -> None:
    folder = ownership.make_folder(tmp_path / "out" / "summary")
    (folder / "part-0.csv").write_text("a,1\n")
    assert (folder / ownership.MARKER).is_file() and ownership.owns_folder(folder / "sub")
    ownership.clear(folders=[folder])
    assert not folder.exists()


def test_an_empty_folder_is_taken_over_and_a_filled_foreign_one_refused(broker: Broker, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ownership.make_folder(empty) == empty and ownership.owns_folder(empty)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    ownership.make_folder(theirs)  # writing beside their files destroys nothing, but it is not the lab's
    assert not ownership.owns_folder(theirs)
    with pytest.raises(NotOurs, match=f"folder {theirs} holds files the lab did not write"):
        ownership.clear(folders=[empty, theirs])
    assert empty.is_dir() and (theirs / "notes.txt").read_text() == "mine"  # nothing touched


def test_a_foreign_folder_stops_a_clear_before_any_topic_goes(broker: Broker, tmp_path: Path) -> None:
    ownership.ensure_topics("b:1", [kafka_admin.TopicSpec("lab_out")])
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "data.parquet").write_bytes(b"PAR1")
    with pytest.raises(NotOurs):
        ownership.clear("b:1", ["lab_out"], [theirs])
    assert "lab_out" in broker.ids


def test_the_labs_own_state_folder_is_the_labs_but_never_cleared_whole(broker: Broker, tmp_path: Path) -> None:
    inside = tmp_path / "run" / "checkpoints" / "flink"
    inside.mkdir(parents=True)
    (inside / "chk-1").mkdir()
    assert ownership.owns_folder(inside) and ownership.clearable_folder(inside)
    (tmp_path / "run" / "kafka" / "node-1").mkdir(parents=True)
    for state in (tmp_path / "run", tmp_path / "run" / "kafka", tmp_path):  # `--checkpoint-dir .run`, say
        with pytest.raises(NotOurs, match="the lab's own state"):
            ownership.clear(folders=[state])
    assert (tmp_path / "run" / "kafka" / "node-1").is_dir()
    ownership.remove_folder(tmp_path / "run" / "kafka", state=True)  # `cluster down --wipe`
    assert not (tmp_path / "run" / "kafka").exists()


def test_every_folder_the_lab_creates_on_the_way_is_marked(broker: Broker, tmp_path: Path) -> None:
    ownership.make_folder(tmp_path / "check" / "flink" / "summary")  # `check --output-dir check` makes all three
    (tmp_path / "check" / "flink" / "summary" / "part-0").write_text("a,1\n")
    ownership.clear(folders=[tmp_path / "check" / "flink"])  # the next check starts over in it
    assert not (tmp_path / "check" / "flink").exists()


def test_any_path_is_accepted_absolute_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlab.cliargs import path

    monkeypatch.chdir(tmp_path)
    assert path("out/../x") == tmp_path / "out/../x"
    assert path("/data/chk") == Path("/data/chk")
