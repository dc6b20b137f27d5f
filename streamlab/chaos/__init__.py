"""`streamlab chaos`: crash a running job again and again, or a broker under it, then hold its result to pandas.

The workload's job runs unbounded as a user runs it (`streamlab run`, a process of its own) on fresh
topics while the workload's producer writes seeded events, some of them malformed. At seeded records
of the input (kill_schedule) the engine's whole process tree gets SIGKILL, each time once a checkpoint
has completed since the job last started (read from the checkpoint folder through streamlab.engines;
the producer pauses at a seeded record before the kill point until then, so the job is busy with the
records after it when it dies), and the job is started again with the same checkpoint folder and
--from latest: it must say it resumes from the checkpoint the folder holds (were --from to win, the records
since the checkpoint would be lost). The producer goes on while the job is down, so
every restart finds input it has not read. The last restart runs in this process, so that once the
producer is done and the job has read everything it can be drained (its last event-time windows
fire). Then the result is compared with the workload's pandas oracle over exactly the records
produced: what is missing, extra, wrong or duplicated, and whether every rejected record is in the dead letters.
Flink runs take --delivery: at-least-once sinks write again after a restart what they wrote since the last
checkpoint (the raw topic's repeats), exactly-once ones write in transactions a restart commits or aborts,
so the topics, read read_committed as every reader here does, hold each record once.

Generic over the registry: any streaming workload, whatever its main job writes (an upsert or append-only
topic, or Parquet files in a folder of the run's own, D-output beside the checkpoint folder D), and a
pipeline of jobs as `streamlab run` runs it: every stage in one process, each with its checkpoint folder
below D, all killed together. A checkpoint has completed once every stage has a newer one, and a restart
must print each stage's resume line. The verdict is the main (last) job's result against its oracle; the
input it reads from an earlier stage is taken once per distinct record (an at-least-once stage writes again
after a restart what it wrote since its checkpoint: those copies are counted as duplicates, not held
against the oracle), and the dead letters of every stage are held to that stage's oracle. Batch
workloads are refused with a message saying so (check_supported).

A broker down (BrokerFault): one node of the embedded 3-broker cluster is killed with SIGKILL, left down
until the others have dropped it while the producer (acks=all) writes on, and started again with `cluster
up`. `streamlab chaos broker-down` crashes the cluster instead of the job (no kills: the job runs in this
process from the start, the node goes down and comes back at seeded records); `chaos kill-restart
--broker-down N` crashes both in one run: the node goes down once the first run has completed a checkpoint,
the job is killed once the others have dropped it and restarted while it is down, and it comes back (beside
the last restart, which reads meanwhile) once that runs. Either way the result is held to the same oracle.

The modules: schedule (where the kills fall), run (the run itself), broker (a node down and back),
report (the tables); the comparison is streamlab.compare's, the same as `check`'s.
"""

from streamlab.chaos.broker import BROKERS, BrokerFault
from streamlab.chaos.report import ChaosReport, show
from streamlab.chaos.run import ChaosOptions, check_supported, kill_restart, node_down, supported_workloads

__all__ = [
    "BROKERS",
    "BrokerFault",
    "ChaosOptions",
    "ChaosReport",
    "check_supported",
    "kill_restart",
    "node_down",
    "show",
    "supported_workloads",
]
