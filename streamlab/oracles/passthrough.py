"""passthrough: sql/passthrough/query.sql over behavior-stats's parse, in Python."""

from __future__ import annotations

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.oracles.behavior_stats import behavior_reject_reason
from streamlab.oracles.common import REJECT_COLUMNS, json_object, optional_text, rejected

PURCHASE_INTENTS = ("add_to_cart", "purchase")  # the behaviours query.sql keeps

INTENT_COLUMNS = ["source_partition", "source_offset", "user_id", "item_id", "category", "behavior", "ts"]


def purchase_intents(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per valid add_to_cart or purchase event, rejected records with reasons). Valid and rejected
    by behavior-stats's rules (behavior_reject_reason), so the rejects are behavior_stats'; ts as sent."""
    intents, rejects = [], []
    for record in records:
        reason, fields = behavior_reject_reason(record.value)
        if reason:
            rejects.append(rejected(record, reason))
        elif fields["behavior"] in PURCHASE_INTENTS:
            _, event = json_object(record.value)
            ids = {name: optional_text(event, name) for name in ("user_id", "item_id")}
            intents.append({"source_partition": record.partition, "source_offset": record.offset, **ids, **fields})
    table = pd.DataFrame(intents, columns=INTENT_COLUMNS)
    return table.sort_values(INTENT_COLUMNS[:2], ignore_index=True), pd.DataFrame(rejects, columns=REJECT_COLUMNS)
