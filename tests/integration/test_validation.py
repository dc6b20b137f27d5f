"""The same verdict on both engines: every kind of bad record, sent to Flink and to Spark, judged alike.

For two workloads (behavior-stats: text fields, a timestamp with milliseconds; bike-rentals: counts
and an optional text field), producers/spoilers.py spoils one valid event in every way it knows (the
value as a whole: empty, not UTF-8, too large, not one JSON object; each field: missing, null, of
another JSON type; timestamps a lenient parser would move), plus borderline records that must pass.
All of it goes into one topic; each engine reads it --bounded into its own topics. The dead letters
of each engine must equal the pandas oracle's rejects record by record (position and reason), the
two engines' dead letters must equal each other down to the raw text, and what passed must be
counted as pandas counts it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from producers import spoilers
from streamlab import kafka_admin, oracles, producing, results, workloads
from streamlab.settings import INPUT, Settings
from tests.integration.commands import one_line, read_letters, same_rejects, streamlab, succeeded

pytestmark = pytest.mark.integration

GOOD_COPIES = 5  # a few plain valid events among the cases, so the count has more than borderline rows


@dataclass(frozen=True)
class Subject:
    """A workload's job, one valid event of it, and the ways that event is spoiled."""

    workload: str
    job: str
    event: dict[str, object]
    texts: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    timestamp: str = ""
    oracle: Callable[[list[kafka_admin.Record]], tuple[pd.DataFrame, pd.DataFrame]] = oracles.behavior_stats
    files: bool = False  # the result is Parquet in --output-dir, not a topic
    extra: dict[str, bytes] = field(default_factory=dict)  # the workload's own cases
    left_out: tuple[str, ...] = ()  # cases that test something other than validation here

    def cases(self) -> dict[str, bytes]:
        fields: dict[str, bytes] = {}
        for name in self.texts:
            fields.update(spoilers.text_field_cases(self.event, name))
        for name in self.numbers:
            fields.update(spoilers.number_field_cases(self.event, name))
        good = spoilers.envelope_cases(self.event)["white space around"]
        cases = {
            **spoilers.envelope_cases(self.event),
            **fields,
            **spoilers.timestamp_field_cases(self.event, self.timestamp),
            **self.extra,
            **{f"valid {n}": good for n in range(GOOD_COPIES)},
        }
        return {label: raw for label, raw in cases.items() if label not in self.left_out}


BIKE_EVENT = {"stt_id": "ST-1", "stt_nm": "1. 강남역", "rent_cnt": 2, "return_cnt": 0, "lst_prk_cnt": 7,
              "stt_lttd": "37.49", "stt_lgtd": "127.02", "crt_dttm": "2025-01-12 23:58:00"}  # fmt: skip
SUBJECTS = {
    # the envelope, text fields and a timestamp with milliseconds
    "behavior-stats": Subject(
        "behavior-stats", "stats",
        {"user_id": "user_1", "item_id": "item_2", "category": "books", "behavior": "view",
         "ts": "2025-04-21 14:10:45.123"},
        texts=("category", "behavior"), timestamp="ts",
    ),
    # counts: number spellings, ranges, fractions; an optional text field of another type
    "bike-rentals": Subject(
        "bike-rentals", "hourly",
        BIKE_EVENT,
        texts=("stt_nm",), numbers=("rent_cnt", "lst_prk_cnt"), timestamp="crt_dttm",
        oracle=oracles.bike_hourly, files=True,
        extra={"stt_lgtd a number": json.dumps({**BIKE_EVENT, "stt_lgtd": 127.02}).encode()},
        # valid, but 2,000 years behind the watermark: late on Flink (a dead letter), merged on Spark
        left_out=("crt_dttm year 0001",),
    ),
}  # fmt: skip
LETTERS: dict[tuple[str, str], pd.DataFrame] = {}  # each run's dead letters, for the engine-to-engine check


@dataclass(frozen=True)
class Sent:
    subject: Subject
    settings: Settings
    labels: dict[int, str]  # offset -> case label
    records: list[kafka_admin.Record]


@pytest.fixture(scope="module", params=list(SUBJECTS))
def sent(request: pytest.FixtureRequest, kafka_bootstrap: str) -> Sent:
    subject = SUBJECTS[request.param]
    workload = workloads.get(subject.workload)
    prefix = f"val_{uuid.uuid4().hex[:8]}_"
    settings = Settings(subject.workload, bootstrap_servers=kafka_bootstrap, topics=workload.topic_names(prefix))
    # one partition: offsets follow the order of the cases, so a difference names its case
    kafka_admin.ensure_topics(kafka_bootstrap, [kafka_admin.TopicSpec(settings.input_topic, partitions=1)])
    cases = subject.cases()
    outgoing = [producing.OutgoingRecord(b"k", value) for value in cases.values()]
    producing.send_all(kafka_bootstrap, {INPUT: settings.input_topic}, outgoing, len(outgoing), show_progress=False)
    records = kafka_admin.read_topic(kafka_bootstrap, settings.input_topic)
    assert len(records) == len(outgoing)
    labels = {record.offset: label for record, label in zip(records, cases, strict=True)}
    return Sent(subject, settings, labels, records)


def named(letters: pd.DataFrame, labels: dict[int, str]) -> pd.DataFrame:
    return letters.assign(case=letters["source_offset"].map(labels)).sort_values("source_offset", ignore_index=True)


def run(engine: str, sent: Sent, output_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`streamlab run ENGINE WORKLOAD --bounded` into this run's own topics (or folder): (result, dead letters)."""
    subject, settings = sent.subject, sent.settings
    dead_letters = f"{settings.input_topic}_dlq_{engine}"
    output_topic = f"{settings.input_topic}_out_{engine}"
    output = ["--output-dir", str(output_dir)] if subject.files else ["--output-topic", output_topic]
    shown = succeeded(
        streamlab("run", engine, subject.workload, "--job", subject.job, "--bounded", "--parallelism", "2",
                  "--topic", f"input={settings.input_topic}", "--dead-letter-topic", dead_letters, *output,
                  "--bootstrap-servers", settings.bootstrap_servers)
    )  # fmt: skip
    assert "[all accounted for]" in one_line(shown)
    job = workloads.get(subject.workload).job(subject.job)
    if subject.files:
        table = results.read_parquet_dir(output_dir, ("ymd", "hh"))
    else:
        topics = {"output": output_topic, "dead_letters": dead_letters}
        table = results.read_result(job.result, Settings(subject.workload, bootstrap_servers=settings.bootstrap_servers,
                                                         topics=topics))  # fmt: skip
    return table, read_letters(settings.bootstrap_servers, dead_letters)


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_every_record_judged_as_pandas_judges_it(engine: str, sent: Sent, tmp_path: Path) -> None:
    subject = sent.subject
    table, letters = run(engine, sent, tmp_path)
    LETTERS[subject.workload, engine] = letters
    expected, rejects = subject.oracle(sent.records)
    if not same_rejects(letters, rejects):
        theirs = named(letters, sent.labels)[["case", "reason"]]
        ours = named(rejects, sent.labels)[["case", "reason"]]
        both = theirs.merge(ours, on="case", how="outer", suffixes=(f"_{engine}", "_pandas"))
        differing = both[both[f"reason_{engine}"] != both["reason_pandas"]]
        pytest.fail(f"{engine} and pandas judge {len(differing)} record(s) differently:\n{differing.to_string()}")
    spec = workloads.get(subject.workload).job(subject.job).result
    diff = oracles.differences(table, expected, list(spec.key_columns), list(spec.value_columns))
    assert diff.empty, f"{engine} result differs from pandas:\n{diff.to_string()}"
    counted = table[spec.count_column].sum()
    assert counted + len(letters) == len(sent.records)


def test_both_engines_write_the_same_dead_letters(sent: Sent) -> None:
    workload = sent.subject.workload
    if not {(workload, "flink"), (workload, "spark")} <= set(LETTERS):
        pytest.skip("needs both engines' runs above")
    columns = ["source_offset", "reason", "raw_value"]
    flink, spark = (named(LETTERS[workload, engine], sent.labels) for engine in ("flink", "spark"))
    if not flink[columns].equals(spark[columns]):
        both = flink.merge(spark, on="case", how="outer", suffixes=("_flink", "_spark"))
        differing = both[
            (both["reason_flink"] != both["reason_spark"]) | (both["raw_value_flink"] != both["raw_value_spark"])
        ]
        shown = differing[["case", "reason_flink", "reason_spark", "raw_value_flink", "raw_value_spark"]].map(
            lambda text: text[:80] if isinstance(text, str) else text
        )
        pytest.fail(f"the engines' dead letters differ in {len(differing)} record(s):\n{shown.to_string()}")


def test_the_seeds_lenient_reader_counts_some_and_drops_others_without_a_trace(sent: Sent) -> None:
    """`streamlab seed-json`: the seed's 'json.ignore-parse-errors' over the same records, next to ours."""
    if sent.subject.workload != "behavior-stats":
        pytest.skip("the seed's JSON reader is behavior-stats'")
    settings = sent.settings
    shown = one_line(
        succeeded(streamlab("seed-json", "--input-topic", settings.input_topic,
                            "--bootstrap-servers", settings.bootstrap_servers))
    )  # fmt: skip
    counted, rejects = oracles.behavior_stats(sent.records)
    ours = f"this lab counted {int(counted['behavior_count'].sum())} and dead-lettered {len(rejects)}"
    assert ours in shown
    words = shown.split("in short: the seed's reader counted ")[1].split()
    seed_counted, with_nulls, dropped = int(words[0]), int(words[1].lstrip("(")), int(words[8])
    assert seed_counted + dropped == len(sent.records)
    assert dropped > 0 and seed_counted > int(counted["behavior_count"].sum()) and with_nulls > 0
