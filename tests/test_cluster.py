"""streamlab.cluster without a broker: the cluster id a fresh embedded cluster is formatted with."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from streamlab import cluster


def test_a_fresh_cluster_id_never_starts_with_a_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kafka-storage would take `-t -Xy...` for an option and refuse to format (1 fresh id in 64)."""
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x00" * 15 + b"\x01")])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=1)
    assert cluster._cluster_id(layout) == "AAAAAAAAAAAAAAAAAAAAAQ"  # the second draw: the first began with "-"


def test_fresh_cluster_ids_are_kafka_shaped(tmp_path: Path) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=1)
    ids = {cluster._cluster_id(layout) for _ in range(500)}
    assert len(ids) == 500
    assert all(len(cid) == 22 and not cid.startswith("-") for cid in ids)
