"""Where `../shared` (the project's shared test material) is: next to the checkout.

`REVIEWBOT_TEST_SHARED` points elsewhere (a git worktree whose parent has no `shared/`).
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(
    os.environ.get("REVIEWBOT_TEST_SHARED") or Path(__file__).resolve().parents[2] / "shared"
)
SHARED_DIFFS = SHARED / "diffs"
EDGE_DIFFS = SHARED_DIFFS / "edge"
