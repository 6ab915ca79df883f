"""Build cases.jsonl: short pull requests with seeded defects, for `reviewbot-eval`.

Each case is the files before and after a change; each label names its line by a piece of
code that occurs exactly once in the new file, so the line numbers in cases.jsonl are
computed, never typed. Re-run after editing: python tests/data/eval/make_cases.py
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent


@dataclass
class Defect:
    path: str
    anchor: str  # occurs once in the new file; the label is that line
    category: str
    note: str
    severity: str = "high"
    last: str | None = None  # when the defect spans lines: the anchor of its last line


@dataclass
class PR:
    id: str
    language: str
    files: dict[str, tuple[str | None, str]]  # path -> (before or None when new, after)
    defects: list[Defect] = field(default_factory=list)


def line_of(text: str, anchor: str, where: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if anchor in line]
    if len(found) != 1:
        raise SystemExit(f"{where}: anchor {anchor!r} occurs {len(found)} times")
    return found[0]


def file_diff(path: str, before: str | None, after: str) -> str:
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    head = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        head.append("new file mode 100644\n")
    source = "/dev/null" if before is None else f"a/{path}"
    body = difflib.unified_diff(old, new, source, f"b/{path}")
    return "".join(head) + "".join(body)


def case_json(pr: PR) -> dict[str, object]:
    expected = []
    for d in pr.defects:
        after = pr.files[d.path][1]
        first = line_of(after, d.anchor, f"{pr.id} {d.path}")
        last = line_of(after, d.last, f"{pr.id} {d.path}") if d.last else first
        expected.append(
            {
                "path": d.path,
                "from_line": first,
                "to_line": last,
                "category": d.category,
                "severity": d.severity,
                "note": d.note,
            }
        )
    diff = "".join(file_diff(p, before, after) for p, (before, after) in pr.files.items())
    return {"id": pr.id, "language": pr.language, "diff": diff, "expected": expected}


PRS = [
    PR(
        "py-off-by-one",
        "Python",
        {
            "stats/window.py": (
                "def total(values):\n    return sum(values)\n",
                "def total(values):\n    return sum(values)\n\n\n"
                "def moving_sum(values, width):\n"
                "    sums = []\n"
                "    for start in range(len(values) - width):\n"
                "        sums.append(sum(values[start : start + width]))\n"
                "    return sums\n",
            )
        },
        [
            Defect(
                "stats/window.py",
                "range(len(values) - width)",
                "bug",
                "Off-by-one: range(len(values) - width) misses the last window; it should "
                "be range(len(values) - width + 1).",
            )
        ],
    ),
    PR(
        "py-sql-injection",
        "Python",
        {
            "shop/orders.py": (
                None,
                "import sqlite3\n\n\n"
                "def orders_for(conn: sqlite3.Connection, customer: str) -> list[tuple]:\n"
                "    query = f\"SELECT id, total FROM orders WHERE customer = '{customer}'\"\n"
                "    return conn.execute(query).fetchall()\n",
            )
        },
        [
            Defect(
                "shop/orders.py",
                "SELECT id, total FROM orders",
                "security",
                "SQL injection: the customer name is formatted into the query; use a "
                "parameter (WHERE customer = ?).",
                "critical",
            )
        ],
    ),
    PR(
        "py-unclosed-file",
        "Python",
        {
            "tools/config_loader.py": (
                "import json\n",
                "import json\n\n\n"
                "def load(path):\n"
                '    handle = open(path, encoding="utf-8")\n'
                "    data = json.load(handle)\n"
                "    return data\n",
            )
        },
        [
            Defect(
                "tools/config_loader.py",
                "handle = open(path",
                "resource",
                "The file is never closed; use `with open(path) as handle:`.",
                "medium",
            )
        ],
    ),
    PR(
        "py-mutable-default",
        "Python",
        {
            "events/bus.py": (
                None,
                "class Bus:\n"
                "    def __init__(self):\n"
                "        self.handlers = {}\n\n"
                "    def subscribe(self, name, handler, tags=[]):\n"
                "        tags.append(name)\n"
                "        self.handlers[name] = (handler, tags)\n",
            )
        },
        [
            Defect(
                "events/bus.py",
                "tags=[]",
                "bug",
                "Mutable default argument: the same list is shared by every call, so tags "
                "accumulate across subscriptions.",
                "medium",
            )
        ],
    ),
    PR(
        "py-wrong-comparison",
        "Python",
        {
            "auth/lockout.py": (
                "MAX_ATTEMPTS = 5\n",
                "MAX_ATTEMPTS = 5\n\n\n"
                "def is_locked(failed_attempts: int) -> bool:\n"
                "    return failed_attempts > MAX_ATTEMPTS\n",
            )
        },
        [
            Defect(
                "auth/lockout.py",
                "failed_attempts > MAX_ATTEMPTS",
                "bug",
                "Wrong comparison: the account should lock at MAX_ATTEMPTS failures "
                "(>=), not after one more.",
            )
        ],
    ),
    PR(
        "py-two-defects",
        "Python",
        {
            "billing/invoice.py": (
                None,
                "import subprocess\n\n\n"
                "def average(amounts):\n"
                "    return sum(amounts) / len(amounts) if amounts is not None else 0\n\n\n"
                "def render_pdf(name):\n"
                '    subprocess.run(f"wkhtmltopdf {name}.html {name}.pdf", shell=True)\n',
            )
        },
        [
            Defect(
                "billing/invoice.py",
                "sum(amounts) / len(amounts)",
                "bug",
                "Division by zero for an empty list: the guard checks None, not emptiness.",
                "medium",
            ),
            Defect(
                "billing/invoice.py",
                "shell=True",
                "security",
                "Command injection: the name goes into a shell command line; pass an "
                "argument list without shell=True.",
                "critical",
            ),
        ],
    ),
    PR(
        "js-missing-await",
        "JavaScript",
        {
            "src/users/save.js": (
                None,
                "export async function renameUser(db, id, name) {\n"
                "  const user = await db.users.find(id);\n"
                "  user.name = name;\n"
                "  db.users.save(user);\n"
                "  return user;\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/users/save.js",
                "db.users.save(user);",
                "bug",
                "Missing await: save() returns a promise; errors are lost and the caller "
                "sees the user before it is stored.",
            )
        ],
    ),
    PR(
        "js-xss",
        "JavaScript",
        {
            "web/comments.js": (
                "export function clear(list) {\n  list.textContent = '';\n}\n",
                "export function clear(list) {\n  list.textContent = '';\n}\n\n"
                "export function showComment(list, comment) {\n"
                "  const item = document.createElement('li');\n"
                "  item.innerHTML = comment.author + ': ' + comment.text;\n"
                "  list.appendChild(item);\n"
                "}\n",
            )
        },
        [
            Defect(
                "web/comments.js",
                "item.innerHTML",
                "security",
                "Cross-site scripting: user text is assigned to innerHTML; use textContent.",
                "critical",
            )
        ],
    ),
    PR(
        "js-loop-bound",
        "JavaScript",
        {
            "lib/cart.js": (
                None,
                "function removeItem(items, id) {\n"
                "  for (let i = 0; i <= items.length; i++) {\n"
                "    if (items[i].id === id) {\n"
                "      items.splice(i, 1);\n"
                "      return true;\n"
                "    }\n"
                "  }\n"
                "  return false;\n"
                "}\n\n"
                "module.exports = { removeItem };\n",
            )
        },
        [
            Defect(
                "lib/cart.js",
                "i <= items.length",
                "bug",
                "Off-by-one: i <= items.length reads past the end, and items[i].id throws "
                "when the id is not found.",
            )
        ],
    ),
    PR(
        "ts-swapped-arguments",
        "TypeScript",
        {
            "src/transfer.ts": (
                "export function transfer(from: Account, to: Account, amount: number): void {\n"
                "  from.balance -= amount;\n"
                "  to.balance += amount;\n"
                "}\n",
                "export function transfer(from: Account, to: Account, amount: number): void {\n"
                "  from.balance -= amount;\n"
                "  to.balance += amount;\n"
                "}\n\n"
                "export function refund(order: Order): void {\n"
                "  transfer(order.customer, order.merchant, order.total);\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/transfer.ts",
                "transfer(order.customer, order.merchant",
                "bug",
                "Swapped arguments: a refund moves money from the merchant to the customer; "
                "this call charges the customer again.",
            )
        ],
    ),
    PR(
        "ts-unhandled-null",
        "TypeScript",
        {
            "src/profile/avatar.ts": (
                None,
                "interface User {\n"
                "  avatar?: { url: string };\n"
                "}\n\n"
                "export function avatarUrl(user: User): string {\n"
                "  return user.avatar!.url;\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/profile/avatar.ts",
                "user.avatar!.url",
                "bug",
                "avatar is optional; the non-null assertion throws for users without one.",
                "medium",
            )
        ],
    ),
    PR(
        "go-ignored-error",
        "Go",
        {
            "internal/store/file.go": (
                None,
                "package store\n\n"
                'import "os"\n\n'
                "func Save(path string, data []byte) error {\n"
                "\tf, err := os.Create(path)\n"
                "\tif err != nil {\n"
                "\t\treturn err\n"
                "\t}\n"
                "\tf.Write(data)\n"
                "\treturn f.Close()\n"
                "}\n",
            )
        },
        [
            Defect(
                "internal/store/file.go",
                "f.Write(data)",
                "bug",
                "The error from Write is ignored: a short or failed write is reported as success.",
                "medium",
            )
        ],
    ),
    PR(
        "go-missing-waitgroup-add",
        "Go",
        {
            "cmd/fetch/main.go": (
                None,
                "package main\n\n"
                "import (\n"
                '\t"fmt"\n'
                '\t"sync"\n'
                ")\n\n"
                "func fetchAll(urls []string) {\n"
                "\tvar wg sync.WaitGroup\n"
                "\tfor _, u := range urls {\n"
                "\t\tgo func() {\n"
                "\t\t\tdefer wg.Done()\n"
                "\t\t\tfmt.Println(u)\n"
                "\t\t}()\n"
                "\t}\n"
                "\twg.Wait()\n"
                "}\n",
            )
        },
        [
            Defect(
                "cmd/fetch/main.go",
                "go func() {",
                "concurrency",
                "wg.Add(1) is never called before starting the goroutine, so Wait returns "
                "at once (and Done panics on a negative counter).",
            )
        ],
    ),
    PR(
        "go-sql-injection",
        "Go",
        {
            "internal/db/users.go": (
                None,
                "package db\n\n"
                'import "database/sql"\n\n'
                "func FindUser(db *sql.DB, name string) (*sql.Rows, error) {\n"
                '\treturn db.Query("SELECT id FROM users WHERE name = \'" + name + "\'")\n'
                "}\n",
            )
        },
        [
            Defect(
                "internal/db/users.go",
                "SELECT id FROM users",
                "security",
                "SQL injection: the name is concatenated into the query; use a placeholder "
                "(WHERE name = $1) and pass name as an argument.",
                "critical",
            )
        ],
    ),
    PR(
        "java-string-equality",
        "Java",
        {
            "src/main/java/app/Roles.java": (
                None,
                "package app;\n\n"
                "public final class Roles {\n"
                "    public static boolean isAdmin(String role) {\n"
                '        return role == "admin";\n'
                "    }\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/main/java/app/Roles.java",
                'role == "admin"',
                "bug",
                'Strings compared with ==: this compares references; use "admin".equals(role).',
            )
        ],
    ),
    PR(
        "java-resource-leak",
        "Java",
        {
            "src/main/java/app/Report.java": (
                None,
                "package app;\n\n"
                "import java.io.BufferedReader;\n"
                "import java.io.FileReader;\n"
                "import java.io.IOException;\n\n"
                "public final class Report {\n"
                "    public static String firstLine(String path) throws IOException {\n"
                "        BufferedReader reader = new BufferedReader(new FileReader(path));\n"
                "        return reader.readLine();\n"
                "    }\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/main/java/app/Report.java",
                "BufferedReader reader = new BufferedReader",
                "resource",
                "The reader is never closed; use try-with-resources.",
                "medium",
            )
        ],
    ),
    PR(
        "rust-unwrap-input",
        "Rust",
        {
            "src/args.rs": (
                "pub struct Args {\n    pub port: u16,\n}\n",
                "pub struct Args {\n    pub port: u16,\n}\n\n"
                "pub fn parse_port(raw: &str) -> Args {\n"
                "    let port = raw.trim().parse::<u16>().unwrap();\n"
                "    Args { port }\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/args.rs",
                ".parse::<u16>().unwrap()",
                "bug",
                "unwrap() on user input: a bad port panics; return a Result instead.",
                "medium",
            )
        ],
    ),
    PR(
        "rust-wrong-operator",
        "Rust",
        {
            "src/range.rs": (
                None,
                "pub fn in_range(value: i32, low: i32, high: i32) -> bool {\n"
                "    value >= low || value <= high\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/range.rs",
                "value >= low || value <= high",
                "bug",
                "Wrong boolean operator: with || every value is in range; use &&.",
            )
        ],
    ),
    PR(
        "c-buffer-overflow",
        "C",
        {
            "src/greet.c": (
                None,
                "#include <stdio.h>\n"
                "#include <string.h>\n\n"
                "void greet(const char *name) {\n"
                "    char buffer[16];\n"
                "    strcpy(buffer, name);\n"
                '    printf("hello %s\\n", buffer);\n'
                "}\n",
            )
        },
        [
            Defect(
                "src/greet.c",
                "strcpy(buffer, name);",
                "security",
                "Buffer overflow: a name of 16 or more bytes overflows buffer; use snprintf "
                "or check the length.",
                "critical",
            )
        ],
    ),
    PR(
        "c-missing-free",
        "C",
        {
            "src/join.c": (
                None,
                "#include <stdlib.h>\n"
                "#include <string.h>\n\n"
                "char *join(const char *a, const char *b) {\n"
                "    char *out = malloc(strlen(a) + strlen(b));\n"
                "    strcpy(out, a);\n"
                "    strcat(out, b);\n"
                "    return out;\n"
                "}\n",
            )
        },
        [
            Defect(
                "src/join.c",
                "malloc(strlen(a) + strlen(b))",
                "bug",
                "Off-by-one allocation: no room for the terminating NUL (+1 missing), and "
                "malloc's result is not checked.",
            )
        ],
    ),
    PR(
        "ruby-mass-assignment",
        "Ruby",
        {
            "app/controllers/accounts_controller.rb": (
                None,
                "class AccountsController < ApplicationController\n"
                "  def update\n"
                "    account = Account.find(params[:id])\n"
                "    account.update(params[:account].permit!)\n"
                "    redirect_to account\n"
                "  end\n"
                "end\n",
            )
        },
        [
            Defect(
                "app/controllers/accounts_controller.rb",
                "permit!",
                "security",
                "permit! allows every attribute (role, balance, ...) to be set from the "
                "request; permit only the editable fields.",
                "critical",
            )
        ],
    ),
    PR(
        "php-path-traversal",
        "PHP",
        {
            "public/download.php": (
                None,
                "<?php\n$name = $_GET['file'];\nreadfile(__DIR__ . '/uploads/' . $name);\n",
            )
        },
        [
            Defect(
                "public/download.php",
                "readfile(__DIR__",
                "security",
                "Path traversal: ?file=../../etc/passwd reads any file; reduce the name "
                "with basename() and check it exists under uploads.",
                "critical",
            )
        ],
    ),
    PR(
        "csharp-async-void",
        "C#",
        {
            "Services/Mailer.cs": (
                None,
                "using System.Threading.Tasks;\n\n"
                "public class Mailer\n"
                "{\n"
                "    public async void SendWelcome(string address)\n"
                "    {\n"
                '        await Smtp.SendAsync(address, "Welcome");\n'
                "    }\n"
                "}\n",
            )
        },
        [
            Defect(
                "Services/Mailer.cs",
                "public async void SendWelcome",
                "bug",
                "async void: callers cannot await it and its exceptions crash the process; "
                "return Task.",
                "medium",
            )
        ],
    ),
    PR(
        "py-two-files",
        "Python",
        {
            "cache/ttl.py": (
                "import time\n",
                "import time\n\n\n"
                "def expired(created_at: float, ttl: float) -> bool:\n"
                "    return time.time() - created_at < ttl\n",
            ),
            "cache/keys.py": (
                None,
                "def cache_key(user_id: int, page: int) -> str:\n"
                '    return f"{page}:{user_id}"\n\n\n'
                "def parse_key(key: str) -> tuple[int, int]:\n"
                '    user_id, page = key.split(":")\n'
                "    return int(user_id), int(page)\n",
            ),
        },
        [
            Defect(
                "cache/ttl.py",
                "time.time() - created_at < ttl",
                "bug",
                "Inverted comparison: an entry is expired when its age is at least the ttl "
                "(>=), not below it.",
            ),
            Defect(
                "cache/keys.py",
                "user_id, page = key.split",
                "bug",
                "cache_key writes page first, parse_key reads user_id first: the two "
                "fields come back swapped.",
            ),
        ],
    ),
]


def main() -> None:
    lines = [json.dumps(case_json(pr), ensure_ascii=False) for pr in PRS]
    (HERE / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    labels = sum(len(pr.defects) for pr in PRS)
    print(f"{len(PRS)} cases, {labels} labels -> {HERE / 'cases.jsonl'}")


if __name__ == "__main__":
    main()
