"""argparse types shared by the CLI and the producers' own flags: numbers with a lower bound."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _at_least(kind: type, minimum: float, inclusive: bool, wording: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"must {wording}, not {value:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in "invalid int value" messages
    return parse


non_negative_int = _at_least(int, 0, True, "not be negative")
positive_int = _at_least(int, 1, True, "be at least 1")
non_negative_float = _at_least(float, 0.0, True, "not be negative")
positive_float = _at_least(float, 0.0, False, "be above 0")
