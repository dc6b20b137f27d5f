"""The engines' plans, trimmed to the operators that matter, and what they say about changelog, output mode and
state. The plans are the ones `streamlab run --bounded --plan-out` wrote (streamlab.crosscheck keeps one per
engine and job): Flink's optimized physical plan with each operator's changelog mode, and Spark's physical plan
of the running query's last micro-batch. Nothing here runs an engine; `streamlab compare` shows what it finds.
"""

from __future__ import annotations

import re

from streamlab.paths import REPO_ROOT

DEAD_LETTERS = "dead_letters"  # every Flink job's dead-letter sink table is named ..._dead_letters
FLINK_KEPT_ARGS = ("table", "groupBy", "window", "joinType", "where", "windowBounds", "distribution", "partitionBy")
ARG_CHARS = 70  # a kept argument's value beyond this is cut: the plan's shape matters here, not every column
CHANGELOG_WORDS = {"I": "insert", "UB": "update-before", "UA": "update-after", "D": "delete", "NONE": "none"}

# Flink operators that keep state, and when they drop it (no state TTL is set: table.exec.state.ttl is 0)
FLINK_STATE = {
    "GroupAggregate": "one row of aggregates per group key, kept for as long as the job runs: no state TTL is set "
    "(`table.exec.state.ttl` 0), so a key never seen again is never dropped",
    "GlobalGroupAggregate": "the aggregates per group key, kept for as long as the job runs (no state TTL is set)",
    "WindowAggregate": "the aggregates per window and key; a window's state is dropped once the watermark passes "
    "its end and it has fired",
    "GlobalWindowAggregate": "the aggregates per window and key, dropped once the watermark passes the window's end",
    "IntervalJoin": "the rows of both sides, each kept until the watermark passes the join's time bound",
    "Join": "the rows of both sides, kept for as long as the job runs (no state TTL is set)",
    "Deduplicate": "the first (or last) row per key, kept for as long as the job runs",
    "Rank": "the top rows per partition key, kept for as long as the job runs",
    "ChangelogNormalize": "the last row per key of an upsert source, kept for as long as the job runs",
    "SinkUpsertMaterializer": "the rows per sink key, to turn the changelog into upserts the sink's key can take",
}
# Spark operators that keep state in the state store (versioned with each micro-batch's checkpoint)
SPARK_STATE = {
    "StateStoreSave": "the aggregates per group key in the state store, a new version with each micro-batch",
    "StreamingSymmetricHashJoin": "the rows of both sides in state stores, until the watermark passes the join's "
    "time bound",
    "StreamingDeduplicate": "the keys seen so far",
    "SessionWindowStateStoreSave": "the open sessions per key",
    "TransformWithStateExec": "whatever the user's processor keeps",
}


def relative(text: str) -> str:
    """The plan with the checkout's absolute paths made relative (the page is committed) and run ids left out."""
    text = text.replace(f"file:{REPO_ROOT}/", "").replace(f"{REPO_ROOT}/", "")
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "…", text)  # a run's ids


# ---- Flink ---------------------------------------------------------------------------------------------


def flink_section(plan: str, title: str = "== Optimized Physical Plan ==") -> str:
    """One section of Flink's EXPLAIN output."""
    if title not in plan:
        return ""
    body = plan.split(title, 1)[1]
    return body.split("\n== ", 1)[0].strip("\n")


def flink_trees(plan: str) -> list[list[str]]:
    """The physical plan's trees, one per sink, the dead-letter sinks left out (every job has the same one)."""
    section = flink_section(plan) or flink_section(plan, "== Optimized Execution Plan ==")
    trees = [tree.splitlines() for tree in re.split(r"\n\s*\n", section) if tree.strip()]
    return [tree for tree in trees if DEAD_LETTERS not in tree[0]]


def flink_trimmed(plan: str) -> str:
    """The result sinks' trees, each operator with the arguments that say what it does and its changelog mode."""
    return "\n\n".join("\n".join(_flink_node(line) for line in tree) for tree in flink_trees(plan))


def _flink_node(line: str) -> str:
    match = re.match(r"^([\s|+:-]*)(\w+)\((.*)\)\s*$", line)
    if not match:
        return line
    indent, name, args = match.groups()
    found = bracket_args(args)
    kept = [f"{key}=[{_cut(found[key])}]" for key in FLINK_KEPT_ARGS if key in found]
    if "changelogMode" in found:
        kept.append(f"changelogMode=[{found['changelogMode']}]")
    return f"{indent}{name}({', '.join(kept)})"


def _cut(value: str) -> str:
    value = value.removeprefix("default_catalog.default_database.").replace("default_catalog, default_database, ", "")
    return value if len(value) <= ARG_CHARS else value[: ARG_CHARS - 1] + "…"


def bracket_args(args: str) -> dict[str, str]:
    """`key=[value], key2=[value2]` at the top level of an operator's arguments (values nest brackets)."""
    found: dict[str, str] = {}
    position = 0
    while True:
        match = re.compile(r"(\w+)=\[").search(args, position)
        if not match:
            return found
        depth, index = 1, match.end()
        while index < len(args) and depth:
            depth += {"[": 1, "]": -1}.get(args[index], 0)
            index += 1
        found.setdefault(match.group(1), args[match.end() : index - 1])
        position = index


def flink_changelog(plan: str) -> list[str]:
    """The changelog kinds each result sink takes: the mode of the operator feeding it."""
    kinds = []
    for tree in flink_trees(plan):
        feeding = bracket_args(tree[1]).get("changelogMode", "") if len(tree) > 1 else ""
        if feeding:
            kinds.append(feeding)
    return kinds


def changelog_words(kinds: str) -> str:
    return ", ".join(CHANGELOG_WORDS.get(kind.strip(), kind) for kind in kinds.split(","))


def flink_state(plan: str) -> list[str]:
    """`Operator: what it keeps and when it drops it`, for each stateful operator of the result sinks' trees."""
    names = [_operator(line) for tree in flink_trees(plan) for line in tree]
    return [f"`{name}`: {FLINK_STATE[name]}" for name in dict.fromkeys(names) if name in FLINK_STATE]


def _operator(line: str) -> str:
    match = re.match(r"^[\s|+:*-]*(\w+)", line)
    return match.group(1) if match else ""


# ---- Spark ---------------------------------------------------------------------------------------------


def spark_queries(plan: str) -> list[str]:
    """Each query's plan (the file holds one per query, after a `-- query NAME (output mode M)` line)."""
    parts = re.split(r"(?m)^(?=-- query )", plan)
    return [part for part in parts if part.strip()]


def spark_no_data_batch(plan: str) -> bool:
    """The last micro-batch read nothing: Spark planned its source as an empty local table."""
    return "LocalTableScan" in plan and "MicroBatchScan" not in plan


def spark_foreach_batch(plan: str) -> bool:
    """A query whose plan writes nowhere: its sink is foreachBatch, the job's own function per micro-batch."""
    return any(_spark_tree(query.splitlines()) and "WriteToDataSourceV2" not in query for query in spark_queries(plan))


def spark_output_modes(plan: str) -> list[str]:
    return re.findall(r"(?m)^-- query \S+ \(output mode (\w+)\)", plan)


def spark_trimmed(plan: str) -> str:
    """Per query: its header, the operator tree, and the details of the operators that keep state or set the
    watermark (their keys, state info and output mode)."""
    kept = []
    for query in spark_queries(plan) or [plan]:
        lines = query.splitlines()
        header = [line for line in lines[:1] if line.startswith("-- query")]
        tree = _spark_tree(lines)
        details = [line for block in _spark_blocks(query) if _stateful_block(block) for line in _cut_block(block)]
        kept.append("\n".join([*header, *tree, *([""] if details else []), *details]))
    return relative("\n\n".join(kept))


def _spark_tree(lines: list[str]) -> list[str]:
    tree: list[str] = []
    for line in lines[lines.index("== Physical Plan ==") :] if "== Physical Plan ==" in lines else []:
        if not line.strip() and len(tree) > 1:
            break
        tree.append(line)
    return tree


def _spark_blocks(plan: str) -> list[list[str]]:
    """The `(N) Operator` detail blocks of a formatted plan."""
    return [block.splitlines() for block in re.split(r"\n\s*\n", plan) if re.match(r"\(\d+\) ", block.strip())]


def _stateful_block(block: list[str]) -> bool:
    name = _spark_name(block[0])
    return name in SPARK_STATE or name in ("StateStoreRestore", "EventTimeWatermark")


def _spark_name(line: str) -> str:
    match = re.match(r"\(\d+\) (\w+)", line.strip())
    return match.group(1) if match else ""


def _cut_block(block: list[str]) -> list[str]:
    lines = [_short_state_info(line) for line in block if not line.startswith("Input [")]
    return [line if len(line) <= 220 else line[:219] + "…" for line in lines]


def _short_state_info(line: str) -> str:
    """A state operator's `state info [...]`: where its state lives and in how many partitions, not the run's ids."""
    return re.sub(
        r"state info \[ checkpoint = (\S+), runId = [^,]+, opId = (\d+), ver = \d+, numPartitions = (\d+)\] "
        r"stateStoreCkptIds = [^,]+,",
        r"state info [checkpoint = \1, opId = \2, numPartitions = \3],",
        line,
    )


def spark_state(plan: str) -> list[str]:
    """`Operator: what it keeps and when it drops it`, the watermark's part read from the plan."""
    names = [_spark_name(block[0]) for block in _spark_blocks(plan)]
    watermark = "EventTimeWatermark" in names
    found = []
    for name in dict.fromkeys(names):
        if name not in SPARK_STATE:
            continue
        when = (
            "; the plan has an EventTimeWatermark, so state behind the watermark is dropped (Spark evicts it after "
            "the micro-batch that moves the watermark past it)"
            if watermark
            else "; the plan has no watermark, so nothing is ever dropped"
        )
        found.append(f"`{name}`: {SPARK_STATE[name]}{when}")
    return found


def spark_state_modes(plan: str) -> list[str]:
    """The output mode StateStoreSave carries (the running query's: `Update`, `Append` or `Complete`)."""
    return re.findall(r"StateStoreSave.*?stateStoreCkptIds = \S+, (\w+),", plan.replace("\n", " "))
