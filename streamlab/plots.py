"""Pictures of results, for `streamlab results WORKLOAD --plot FILE.png` (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from streamlab.errors import LabError


def bike_rentals(hourly: pd.DataFrame, path: Path) -> None:
    """Left: rents and returns per hour, all stations. Right: the stations on a map, coloured by activity."""
    if hourly.empty:
        raise LabError("there is no hourly bike data to plot yet: run a bike-rentals job first")
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, no display server
    import matplotlib.pyplot as plt

    hours = hourly.groupby(["ymd", "hh"], as_index=False)[["rent_cnt", "return_cnt"]].sum()
    labels = [f"{ymd[4:6]}-{ymd[6:]} {hh}h" for ymd, hh in zip(hours["ymd"], hours["hh"], strict=True)]
    stations = (
        hourly.assign(activity=hourly["rent_cnt"] + hourly["return_cnt"])
        .groupby("stt_id", as_index=False)
        .agg(lat=("stt_lttd", "max"), lon=("stt_lgtd", "max"), activity=("activity", "sum"))
    )
    stations = stations.astype({"lat": float, "lon": float}).sort_values("activity")

    figure, (per_hour, on_map) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [3, 2]})
    positions = range(len(hours))
    per_hour.bar([p - 0.2 for p in positions], hours["rent_cnt"], width=0.4, label="rents", color="#d9534f")
    per_hour.bar([p + 0.2 for p in positions], hours["return_cnt"], width=0.4, label="returns", color="#5b9bd5")
    per_hour.set_xticks(list(positions), labels, rotation=60, ha="right", fontsize=8)
    per_hour.set_ylabel("bikes")
    per_hour.set_title(f"Rents and returns per hour ({hourly['stt_id'].nunique():,} stations)")
    per_hour.legend()

    dots = on_map.scatter(stations["lon"], stations["lat"], c=stations["activity"], cmap="viridis", s=12)
    figure.colorbar(dots, ax=on_map, label="rents + returns")
    on_map.set_xlabel("longitude")
    on_map.set_ylabel("latitude")
    on_map.set_title("Stations, coloured by activity")
    on_map.set_aspect(1 / 0.79)  # a degree of longitude is ~0.79 of a degree of latitude at 37.5 N

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
