"""A small run of bench/incremental.py: later pushes send only their change."""

from __future__ import annotations

from pathlib import Path

from bench.incremental import history, life


def test_incremental_life_sends_only_the_pushes_changes(tmp_path: Path) -> None:
    base, pushes = history(tmp_path / "repo", files=3, lines=60, pushes=3)
    full = life(base, pushes, incremental=False)
    incremental = life(base, pushes, incremental=True)
    assert full[0] == incremental[0]  # the first push is a full review either way
    for a, b in zip(full[1:], incremental[1:], strict=True):
        assert b["requests"] == 1 and a["requests"] >= 1
        assert b["prompt_tokens"] * 3 < a["prompt_tokens"]
