"""Diffs for the in-process engine tests: new files of numbered lines, sized to fill chunks."""

from __future__ import annotations


def code(name: str, i: int) -> str:
    return f"{name}_{i} = compute({i})  # padding to fill the chunk"


def new_file(name: str, lines: int) -> str:
    body = "".join(f"+{code(name, i)}\n" for i in range(lines))
    head = f"diff --git a/{name}.py b/{name}.py\nnew file mode 100644\n--- /dev/null\n"
    return head + f"+++ b/{name}.py\n@@ -0,0 +1,{lines} @@\n" + body


DIFF = new_file("a", 12) + new_file("b", 12) + new_file("c", 12)
