"""The same verdict on both engines: every kind of bad record, sent to Flink and to Spark, judged alike.

For every streaming workload's parse step, producers/spoilers.py spoils one valid event in every way it
knows (the value as a whole: empty, not UTF-8, too large, not one JSON object; each field: missing,
null, of another JSON type; numbers spelled otherwise or at a double's edges; timestamps a lenient
parser would move), plus borderline records that must pass:

- behavior-stats: text fields, a timestamp with milliseconds (passthrough runs this same parse step,
  sql/behavior-stats/*_parse.sql, so it is not sent twice);
- bike-rentals: counts and an optional text field;
- windowed-messages: an event time in seconds behind a watermark, where a valid but old time is late,
  not malformed: routed by Flink's parse step or dropped by Spark's window, and left out of the oracle's
  input either way (as streamlab.run.verdict.oracle_answer does);
- patient-events: a replayed CSV row, whose action must not be empty or spaces;
- strategy-join: the join job's two inputs, D_input through the parse step the strategies stage runs on
  A..D_input, and C_output through its own; each case meets one valid partner in the other topic, so
  every record that passes makes one pair that shows its values.

Each input goes into one topic of one partition; each engine reads it --bounded into its own topics.
The dead letters of each engine must equal the pandas oracle's rejects record by record (position and
reason), the two engines' dead letters must equal each other down to the raw text, and what passed must
be counted (or paired) as pandas counts it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from producers import spoilers
from streamlab import compare, kafka_admin, producing, results, workloads
from streamlab.oracles import behavior_stats
from streamlab.run import verdict
from streamlab.settings import INPUT, Settings
from tests.integration.commands import one_line, read_letters, same_rejects, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENGINES = ("flink", "spark")
GOOD_COPIES = 5  # a few plain valid events among the cases, so the count has more than borderline rows
Event = dict[str, object]


@dataclass(frozen=True)
class Input:
    """One topic a job reads: one valid event of it, and the ways that event is spoiled."""

    role: str
    event: Event
    texts: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # counts (bike-rentals): number spellings, ranges, fractions
    doubles: tuple[str, ...] = ()  # numbers read as DOUBLE (strategy-join): those, and a double's edges
    timestamp: str = ""
    extra: Callable[[Event], dict[str, bytes]] | None = None  # the workload's own cases, from the event
    left_out: tuple[str, ...] = ()  # cases that test something other than validation here
    # a text field set to each case's own label: no two records share an identity (the join's oracle
    # refuses two records with one (key, ts), and a pair names its cases)
    identity: str = ""

    def cases(self) -> dict[str, bytes]:
        labels = self._cases(self.event)
        if not self.identity:
            return labels
        return {label: self._cases(self.own(label))[label] for label in labels}

    def own(self, label: str) -> Event:
        """The event with its identity field naming the case (a label of this input)."""
        return {**self.event, self.identity: f"{self.role}: {label}"} if self.identity else self.event

    def _cases(self, event: Event) -> dict[str, bytes]:
        fields: dict[str, bytes] = {}
        for name in self.texts:
            fields.update(spoilers.text_field_cases(event, name))
        for name in self.numbers:
            fields.update(spoilers.number_field_cases(event, name))
        for name in self.doubles:
            fields.update(spoilers.double_field_cases(event, name))
        if self.timestamp:
            fields.update(spoilers.timestamp_field_cases(event, self.timestamp))
        good = spoilers.envelope_cases(event)["white space around"]
        cases = {
            **spoilers.envelope_cases(event),
            **fields,
            **(self.extra(event) if self.extra else {}),
            **{f"valid {n}": good for n in range(GOOD_COPIES)},
        }
        return {label: raw for label, raw in cases.items() if label not in self.left_out}


@dataclass(frozen=True)
class Subject:
    """A workload's job and what is sent to each topic it reads."""

    workload: str
    job: str
    inputs: tuple[Input, ...]
    files: bool = False  # the result is Parquet in --output-dir, not a topic
    # cases whose time is valid but behind the watermark: Flink's parse step may route them as 'late: ...'
    # (whether it does depends on when its periodic watermark came), Spark's window drops them, counted
    # in the run's accounting line; either way they are left out of the oracle's input, as
    # streamlab.run.verdict.oracle_answer and judge do
    may_be_late: tuple[str, ...] = ()
    # a join: each case of one input gets one valid partner in the other input (its identity, the time of
    # the valid event), so every case that passes makes exactly one pair, which shows its values
    partners: bool = False

    def cases(self) -> dict[str, dict[str, bytes]]:
        """Per input role, label -> the bytes sent."""
        cases = {side.role: side.cases() for side in self.inputs}
        if self.partners:
            one, other = self.inputs
            for side, opposite in ((one, other), (other, one)):
                cases[side.role] |= {
                    f"partner of {opposite.role}: {label}": json.dumps(
                        {**side.event, side.identity: f"{opposite.role}: {label}"}
                    ).encode()
                    for label in cases[opposite.role]
                    if not label.startswith("partner of")
                }
        return cases


def _extra(
    cases: dict[str, dict[str, object]], escaped: dict[str, tuple[str, str]] | None = None
) -> Callable[[Event], dict[str, bytes]]:
    """Extra cases, each the event with some fields changed (a value of None: the field left out), and
    `escaped` ones: the event's JSON text with a part written otherwise (as JSON escapes, say)."""

    def spoil(event: Event) -> dict[str, bytes]:
        out = {}
        for label, change in cases.items():
            changed = {**event, **change}
            out[label] = json.dumps({key: value for key, value in changed.items() if value is not None},
                                    ensure_ascii=False).encode()  # fmt: skip
        for label, (part, written) in (escaped or {}).items():
            text = json.dumps(event, ensure_ascii=False)
            assert text.count(part) == 1, f"{part!r} must be in {text} once"
            out[label] = text.replace(part, written).encode()
        return out

    return spoil


BIKE_EVENT = {"stt_id": "ST-1", "stt_nm": "1. 강남역", "rent_cnt": 2, "return_cnt": 0, "lst_prk_cnt": 7,
              "stt_lttd": "37.49", "stt_lgtd": "127.02", "crt_dttm": "2025-01-12 23:58:00"}  # fmt: skip
PATIENT_EVENT = {"patient_id": "P1001", "event_time": "2025-03-03 08:00:05", "action": "admit",
                 "department": "내과", "doctor": "Dr. Kim", "notes": ""}  # fmt: skip
STRATEGY_TS = "2025-04-21 14:10:45"
SUBJECTS = {
    # the envelope, text fields and a timestamp with milliseconds
    "behavior-stats": Subject(
        "behavior-stats", "stats",
        (Input(INPUT, {"user_id": "user_1", "item_id": "item_2", "category": "books", "behavior": "view",
                       "ts": "2025-04-21 14:10:45.123"},
               texts=("category", "behavior"), timestamp="ts"),),
    ),
    # counts: number spellings, ranges, fractions; an optional text field of another type
    "bike-rentals": Subject(
        "bike-rentals", "hourly",
        (Input(INPUT, BIKE_EVENT,
               texts=("stt_nm",), numbers=("rent_cnt", "lst_prk_cnt"), timestamp="crt_dttm",
               extra=_extra({"stt_lgtd a number": {"stt_lgtd": 127.02}})),),
        files=True,
        # valid, but 2,000 years behind the watermark: late on Flink (a dead letter), merged on Spark
        may_be_late=("crt_dttm year 0001",),
    ),
    # the one required field is the event time (seconds), also written twice; the others are not read
    "windowed-messages": Subject(
        "windowed-messages", "windows",
        (Input(INPUT, {"id": 1, "message": "테스트 메시지 1", "timestamp": "2025-04-21 14:10:45"},
               texts=("timestamp",), timestamp="timestamp",
               extra=_extra({"only the timestamp": {"id": None, "message": None},
                             "message a number": {"message": 7},
                             "timestamp with milliseconds": {"timestamp": "2025-04-21 14:10:45.123"},
                             "timestamp the minute's last second": {"timestamp": "2025-04-21 14:10:59"},
                             "timestamp the minute's first second": {"timestamp": "2025-04-21 14:10:00"}},
                            # JSON escapes: the event-time source reads the field as the parse step does
                            escaped={"timestamp with escaped characters": ('"2025-04-21 14:10:45"',
                                                                           r'"2025\u002d04-21\u002014:10:45"')})),),
        may_be_late=("timestamp year 0001",),
    ),
    # a replayed CSV row: every cell a string; only `action` is read, and must not be empty or spaces
    "patient-events": Subject(
        "patient-events", "counts",
        (Input(INPUT, PATIENT_EVENT, texts=("action",),
               extra=_extra({"action only spaces": {"action": "   "},
                             "action spaces around": {"action": " admit "},
                             "action a tab": {"action": "\t"},
                             "action a no-break space": {"action": "\u00a0"},
                             "action an ideographic space": {"action": "\u3000"},
                             "action a newline and spaces": {"action": " \n "},
                             "action multi-byte": {"action": "입원"},
                             "action a row cut short": {"department": None, "doctor": None, "notes": None},
                             "patient_id a number": {"patient_id": 1001},
                             "event_time not a time": {"event_time": "yesterday"}},
                            escaped={"action escaped spaces": ('"admit"', r'"\u0020\u0020"'),
                                     "action escaped letters": ('"admit"', r'"\u0061dmit"')})),),
    ),
    # the join's two inputs, each through its own parse step: D_input as the strategies stage reads
    # A..D_input (sql/strategy-join/*_parse.sql, the same file), C_output by *_output_parse.sql
    "strategy-join": Subject(
        "strategy-join", "join",
        (Input("c_output", {"strategy": "C", "key": "k", "ts": STRATEGY_TS, "value": 42.5, "result": 73.75},
               texts=("key", "ts"), doubles=("result",), timestamp="ts", identity="key"),
         Input("d_input", {"strategy": "D", "key": "k", "ts": STRATEGY_TS, "value": 42.5},
               texts=("strategy", "key", "ts"), doubles=("value",), timestamp="ts", identity="key")),
        partners=True,
    ),
}  # fmt: skip
Position = tuple[str, int]  # (topic, offset): one partition per topic


@dataclass(frozen=True)
class Sent:
    subject: Subject
    prefix: str
    settings: Settings
    labels: dict[Position, str]  # (topic, offset) -> case label
    records: dict[str, list[kafka_admin.Record]]  # by the role of the topic they were sent to

    @property
    def inputs(self) -> list[list[kafka_admin.Record]]:
        """The records of each topic the job reads, in its order of roles: what its oracle takes."""
        return [self.records[role] for role in self.job.input_roles]

    @property
    def job(self) -> workloads.Job:
        return workloads.get(self.subject.workload).job(self.subject.job)

    @property
    def size(self) -> int:
        return sum(len(records) for records in self.records.values())


@pytest.fixture(scope="module", params=list(SUBJECTS))
def sent(request: pytest.FixtureRequest, kafka_bootstrap: str) -> Sent:
    subject = SUBJECTS[request.param]
    workload = workloads.get(subject.workload)
    prefix = f"val_{uuid.uuid4().hex[:8]}_"
    settings = Settings(subject.workload, bootstrap_servers=kafka_bootstrap, topics=workload.topic_names(prefix))
    cases = subject.cases()
    topics = {role: settings.topic(role) for role in cases}
    # one partition: offsets follow the order of the cases, so a difference names its case
    kafka_admin.ensure_topics(
        kafka_bootstrap, [kafka_admin.TopicSpec(topic, partitions=1) for topic in topics.values()]
    )
    outgoing = [producing.OutgoingRecord(b"k", raw, role) for role, side in cases.items() for raw in side.values()]
    producing.send_all(kafka_bootstrap, topics, outgoing, len(outgoing), show_progress=False)
    labels, records = {}, {}
    for role, side in cases.items():
        records[role] = kafka_admin.read_topic(kafka_bootstrap, topics[role])
        assert len(records[role]) == len(side)
        labels |= {(record.topic, record.offset): label for record, label in zip(records[role], side, strict=True)}
    return Sent(subject, prefix, settings, labels, records)


def named(letters: pd.DataFrame, labels: dict[Position, str]) -> pd.DataFrame:
    positions = zip(letters["source_topic"], letters["source_offset"], strict=True)
    return letters.assign(case=[labels[position] for position in positions]).sort_values(
        ["source_topic", "source_offset"], ignore_index=True
    )


@dataclass(frozen=True)
class Ran:
    table: pd.DataFrame
    letters: pd.DataFrame
    dropped: int  # late records the engine dropped without a trace, by its accounting line (Spark)
    seconds: float  # the bounded run, process start to end


def run(engine: str, sent: Sent, output_dir: Path) -> Ran:
    """`streamlab run ENGINE WORKLOAD --bounded` into this run's own topics (or folder)."""
    started = time.monotonic()
    subject, settings, job = sent.subject, sent.settings, sent.job
    writes_to = (job.rejects,) if subject.files else (job.rejects, *job.result.roles)
    own = {role: f"{settings.topic(role)}_{engine}" for role in writes_to}
    reads = [arg for role in job.input_roles for arg in ("--topic", f"{role}={settings.topic(role)}")]
    writes = [arg for role, topic in own.items() for arg in ("--topic", f"{role}={topic}")]
    output = ["--output-dir", str(output_dir)] if subject.files else []
    shown = succeeded(
        streamlab("run", engine, subject.workload, "--job", subject.job, "--bounded", "--parallelism", "2",
                  "--topic-prefix", sent.prefix, *reads, *writes, *output,
                  "--bootstrap-servers", settings.bootstrap_servers)
    )  # fmt: skip
    shown = one_line(shown)
    # a join's rows are pairs: there is no count to account for (the pairs are compared with pandas' instead)
    assert "[all accounted for]" in shown or f"({job.result.not_one_to_one})" in shown
    dropped = re.search(rf"dropped as late by {engine} ([0-9,]+)", shown)
    if subject.files:
        table = results.read_parquet_dir(output_dir, job.result.partition_by)
    else:
        topics = {**settings.topics, **own}
        table = results.read_result(job.result, Settings(subject.workload, bootstrap_servers=settings.bootstrap_servers,
                                                         topics=topics))  # fmt: skip
    letters = read_letters(settings.bootstrap_servers, own[job.rejects])
    dropped_count = int(dropped.group(1).replace(",", "")) if dropped else 0
    return Ran(table, letters, dropped_count, time.monotonic() - started)


def late_ones(letters: pd.DataFrame, sent: Sent, engine: str) -> pd.DataFrame:
    """The dead letters the watermark sent (reason 'late: ...'), each of a case that may be late."""
    late = letters[letters["reason"].str.startswith(verdict.LATE)] if not letters.empty else letters
    cases = set(named(late, sent.labels)["case"]) if not late.empty else set()
    assert cases <= set(sent.subject.may_be_late), f"{engine} called late what is not: {cases}"
    return late


@pytest.fixture(scope="module")
def runs(sent: Sent, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Each engine's bounded run over the subject's cases, once: both tests below read them."""
    return {engine: run(engine, sent, tmp_path_factory.mktemp(f"output-{engine}")) for engine in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_record_judged_as_pandas_judges_it(engine: str, sent: Sent, runs: dict[str, Ran]) -> None:
    subject, job = sent.subject, sent.job
    ran = runs[engine]
    table, late = ran.table, late_ones(ran.letters, sent, engine)
    letters = ran.letters.drop(index=late.index)
    # what the watermark called late is left out of the oracle's input, as verdict.oracle_answer does
    left_out = set(zip(late.get("source_topic", []), late.get("source_offset", []), strict=True))
    if ran.dropped:  # Spark says how many, not which: they must be the cases that may be late
        maybe = {position for position, label in sent.labels.items() if label in subject.may_be_late} - left_out
        assert ran.dropped == len(maybe), f"{engine} dropped {ran.dropped} record(s) as late, not {sorted(maybe)}"
        left_out |= maybe
    inputs = [[r for r in records if (r.topic, r.offset) not in left_out] for records in sent.inputs]
    expected, rejects = job.oracle_function()(*inputs)
    if not same_rejects(letters, rejects):
        theirs = named(letters, sent.labels)[["case", "reason"]]
        ours = named(rejects, sent.labels)[["case", "reason"]]
        both = theirs.merge(ours, on="case", how="outer", suffixes=(f"_{engine}", "_pandas"))
        differing = both[both[f"reason_{engine}"] != both["reason_pandas"]]
        pytest.fail(f"{engine} and pandas judge {len(differing)} record(s) differently:\n{differing.to_string()}")
    spec = job.result
    diff = compare.differences(table, expected, list(spec.key_columns), list(spec.value_columns))
    assert diff.empty, f"{engine} result differs from pandas:\n{diff.to_string()}"
    if not spec.not_one_to_one:
        assert spec.counted(table) + len(letters) + len(late) + ran.dropped == sent.size
    print(f"\n{subject.workload} on {engine}: {sent.size} records, {len(letters)} rejected, "
          f"{len(late)} routed and {ran.dropped} dropped as late, {ran.seconds:.0f} s")  # fmt: skip


def test_both_engines_write_the_same_dead_letters(sent: Sent, runs: dict[str, Ran]) -> None:
    """Down to the raw text; a record Flink's watermark called late is not among them (Spark cannot)."""
    columns = ["source_topic", "source_offset", "reason", "raw_value"]
    flink, spark = (
        named(runs[engine].letters.drop(index=late_ones(runs[engine].letters, sent, engine).index), sent.labels)
        for engine in ENGINES
    )
    if not flink[columns].equals(spark[columns]):
        both = flink.merge(spark, on="case", how="outer", suffixes=("_flink", "_spark"))
        differing = both[
            (both["reason_flink"] != both["reason_spark"]) | (both["raw_value_flink"] != both["raw_value_spark"])
        ]
        shown = differing[["case", "reason_flink", "reason_spark", "raw_value_flink", "raw_value_spark"]].map(
            lambda text: text[:80] if isinstance(text, str) else text
        )
        pytest.fail(f"the engines' dead letters differ in {len(differing)} record(s):\n{shown.to_string()}")


@pytest.mark.parametrize("sent", ["behavior-stats"], indirect=True)  # the seed's JSON reader is behavior-stats'
def test_the_seeds_lenient_reader_counts_some_and_drops_others_without_a_trace(sent: Sent) -> None:
    """`streamlab seed-json`: the seed's 'json.ignore-parse-errors' over the same records, next to ours."""
    settings = sent.settings
    shown = one_line(
        succeeded(streamlab("seed-json", "--input-topic", settings.input_topic,
                            "--bootstrap-servers", settings.bootstrap_servers))
    )  # fmt: skip
    counted, rejects = behavior_stats.counts(sent.records[INPUT])
    ours = f"this lab counted {int(counted['behavior_count'].sum())} and dead-lettered {len(rejects)}"
    assert ours in shown
    words = shown.split("in short: the seed's reader counted ")[1].split()
    seed_counted, with_nulls, dropped = int(words[0]), int(words[1].lstrip("(")), int(words[8])
    assert seed_counted + dropped == sent.size
    assert dropped > 0 and seed_counted > int(counted["behavior_count"].sum()) and with_nulls > 0
