"""Plot data for the page, shaped from a result table as streamlab.plots draws it for `results --plot`: the
same groupings, handed to the browser as columns instead of drawn with matplotlib. A workload names its plot
(Workload.plot); PLOTS maps that name to its shaping here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd


def bike_rentals(hourly: pd.DataFrame) -> dict[str, Any] | None:
    """Seed 000's two pictures: rents and returns per hour over all stations, and each station's place and
    activity (rents + returns). None before the first hourly row."""
    needed = {"ymd", "hh", "stt_id", "rent_cnt", "return_cnt", "stt_lttd", "stt_lgtd"}
    if hourly.empty or not needed <= set(hourly.columns):
        return None
    hours = hourly.groupby(["ymd", "hh"], as_index=False)[["rent_cnt", "return_cnt"]].sum()
    hours = hours.assign(order=hours["hh"].astype(int)).sort_values(["ymd", "order"])
    stations = (
        hourly.assign(activity=hourly["rent_cnt"] + hourly["return_cnt"])
        .groupby("stt_id", as_index=False)
        .agg(lat=("stt_lttd", "max"), lon=("stt_lgtd", "max"), activity=("activity", "sum"))
        .astype({"lat": float, "lon": float})
        .sort_values("activity")  # the busiest drawn last, on top
    )
    labels = [f"{ymd[4:6]}-{ymd[6:]} {int(hh):02d}h" for ymd, hh in zip(hours["ymd"], hours["hh"], strict=True)]
    return {
        "kind": "bike_rentals",
        "hours": {
            "labels": labels,
            "rents": [int(n) for n in hours["rent_cnt"]],
            "returns": [int(n) for n in hours["return_cnt"]],
        },
        "stations": {
            "lon": [round(x, 5) for x in stations["lon"]],
            "lat": [round(y, 5) for y in stations["lat"]],
            "activity": [int(n) for n in stations["activity"]],
        },
    }


PLOTS: dict[str, Callable[[pd.DataFrame], dict[str, Any] | None]] = {"bike_rentals": bike_rentals}
