"""The built-in price table, user overrides, money formatting and the --max-cost budget."""

from __future__ import annotations

import threading

import pytest

from reviewbot.limits import BudgetRefused, MoneyBudget
from reviewbot.pricing import (
    PRICES_AS_OF,
    TABLE,
    Price,
    format_money,
    resolve_price,
    table_price,
    unpriced_note,
)
from reviewbot.providers import PROVIDERS

# Presets whose default model is priced, and the currency each bills in.
PRICED_DEFAULTS = {
    "openai": "USD",
    "deepseek": "CNY",
    "qwen": "CNY",
    "siliconflow": "CNY",
    "lingyiwanwu": "CNY",
    "openrouter": "USD",
}


@pytest.mark.parametrize(("preset", "currency"), sorted(PRICED_DEFAULTS.items()))
def test_each_presets_default_model_has_a_price_in_its_billing_currency(
    preset: str, currency: str
) -> None:
    model = PROVIDERS[preset].default_model
    assert model is not None
    price = table_price(preset, model)
    assert price is not None, preset
    assert price.currency == currency
    assert 0 < price.input <= price.output * 10
    assert price.cached_input is None or price.cached_input < price.input


def test_table_is_dated_and_every_entry_is_positive() -> None:
    assert PRICES_AS_OF == "2026-11"
    for provider, models in TABLE.items():
        assert provider in PROVIDERS
        for name, price in models.items():
            assert name == name.lower()
            assert price.input > 0 and price.output > 0, (provider, name)


def test_lookups_per_preset() -> None:
    deepseek = table_price("deepseek", "deepseek-chat")
    assert deepseek == Price(2.0, 3.0, "CNY", 0.2)
    assert table_price(None, "gpt-4o-mini") == table_price("openai", "gpt-4o-mini")
    # a dated snapshot matches its model; a different model with a shared prefix does not
    assert table_price("openai", "gpt-4o-mini-2024-07-18") == table_price("openai", "gpt-4o-mini")
    assert table_price("openai", "gpt-4o-mini-search-preview") is None
    assert table_price("ark", "doubao-seed-1-6-250615") == TABLE["ark"]["doubao-seed-1-6"]
    assert (
        table_price("ark", "doubao-seed-1-6-flash-250828") == TABLE["ark"]["doubao-seed-1-6-flash"]
    )
    assert table_price("siliconflow", "deepseek-ai/DeepSeek-V3") == Price(2.0, 8.0, "CNY")
    assert table_price("lingyiwanwu", "yi-lightning") == Price(0.99, 0.99, "CNY")
    assert table_price("openrouter", "openai/gpt-4o-mini") is not None
    # the same model name on another provider is that provider's price, not a guess
    assert table_price("generic", "gpt-4o-mini") is None
    assert table_price("deepseek", "gpt-4o-mini") is None


def test_local_presets_have_no_price_and_nothing_to_say() -> None:
    for preset in ("ollama", "vllm", "llamacpp"):
        assert table_price(preset, PROVIDERS[preset].default_model or "any") is None
        assert unpriced_note(preset, "qwen2.5-coder") is None


def test_unknown_model_is_said_not_guessed() -> None:
    assert resolve_price("openai", "gpt-99") is None
    note = unpriced_note("openai", "gpt-99")
    assert note is not None and "gpt-99" in note and PRICES_AS_OF in note


def test_user_prices_override_the_table() -> None:
    mine = resolve_price("deepseek", "deepseek-chat", user_models={"deepseek-chat": (1, 2, None)})
    assert mine == Price(1, 2, "CNY", origin="user")
    usd = resolve_price("deepseek", "deepseek-chat", user_models={"deepseek-chat": (1, 2, "USD")})
    assert usd is not None and usd.currency == "USD"
    flat = resolve_price("qwen", "my-finetune", flat=(0.5, 1.0))
    assert flat == Price(0.5, 1.0, "CNY", origin="user")
    assert resolve_price(None, "x", flat=(1, 1), flat_currency="CNY") == Price(
        1, 1, "CNY", origin="user"
    )
    other = resolve_price("openai", "gpt-4o", user_models={"gpt-4o-mini": (9, 9, None)})
    assert other == table_price("openai", "gpt-4o")


def test_cost_uses_the_cache_hit_price_for_cached_tokens() -> None:
    price = Price(2.0, 3.0, "CNY", 0.2)
    assert price.cost(1_000_000, 0) == pytest.approx(2.0)
    assert price.cost(1_000_000, 1_000_000, cached_tokens=500_000) == pytest.approx(1.1 + 3.0)
    no_cache = Price(1.0, 1.0)
    assert no_cache.cost(100, 0, cached_tokens=100) == pytest.approx(100 / 1_000_000)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (0.012, "CNY", "¥0.012"),
        (0.004, "USD", "$0.0040"),
        (0.0123456, "USD", "$0.012"),
        (0.00999, "CNY", "¥0.010"),
        (0.5, "USD", "$0.50"),
        (0.999, "USD", "$1.00"),
        (1.234, "CNY", "¥1.23"),
        (1234.5, "USD", "$1,234.50"),
        (0, "CNY", "¥0"),
        (0.0000004, "USD", "$0.00000040"),
    ],
)
def test_money_formatting(amount: float, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown  # type: ignore[arg-type]


def test_the_example_from_the_issue() -> None:
    # --dry-run on deepseek: 6,064 prompt tokens + ~600 answer tokens
    price = table_price("deepseek", "deepseek-chat")
    assert price is not None
    assert price.format(price.cost(6064, 600)) == "¥0.014"


def test_money_budget_refuses_the_request_that_would_pass_it() -> None:
    price = Price(1.0, 1.0, "USD")  # $1 per million tokens either way
    budget = MoneyBudget(0.005, price)  # room for 5,000 tokens
    held = budget.reserve(2000)  # 2,000 + 600 typical answer
    assert held == pytest.approx(0.0026)
    budget.settle(held, 2000, 500)
    assert budget.spent == pytest.approx(0.0025)
    with pytest.raises(BudgetRefused) as refused:
        budget.reserve(2000)
    assert "--max-cost" in str(refused.value)
    assert "$0.0050" in str(refused.value) and "$0.0025" in str(refused.value)
    with pytest.raises(BudgetRefused):  # once refused, nothing more is sent, even if it fits
        budget.reserve(10)


def test_money_budget_is_safe_across_threads() -> None:
    budget = MoneyBudget(1.0, Price(1000.0, 0.0, "USD"))  # $0.001 per prompt token
    allowed: list[float] = []

    def worker() -> None:
        for _ in range(50):
            try:
                held = budget.reserve(10)  # $0.01 each
            except BudgetRefused:
                continue
            allowed.append(held)
            budget.settle(held, 10, 0)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 100
    assert budget.spent == pytest.approx(1.0)


def test_cache_hits_reported_by_the_provider_are_read_from_usage() -> None:
    from openai.types.chat import ChatCompletion

    from reviewbot.replies import read_completion

    def completion(usage: dict[str, object]) -> ChatCompletion:
        return ChatCompletion.model_validate(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "{}"},
                    }
                ],
                "usage": {
                    "prompt_tokens": 1000,
                    "completion_tokens": 10,
                    "total_tokens": 1010,
                    **usage,
                },
            }
        )

    openai_style = {"prompt_tokens_details": {"cached_tokens": 768}}
    deepseek_style = {"prompt_cache_hit_tokens": 640, "prompt_cache_miss_tokens": 360}
    assert read_completion(completion(openai_style)).cached_tokens == 768
    assert read_completion(completion(deepseek_style)).cached_tokens == 640
    assert read_completion(completion({})).cached_tokens == 0


def test_the_estimate_prices_cache_hits_at_the_cache_hit_rate() -> None:
    from fake_chat import ScriptedChat
    from test_engine import content, plan_for, settings

    from reviewbot.app import run_review
    from reviewbot.chat import ModelReply

    s = settings(provider="deepseek", model="deepseek-chat")
    plan = plan_for(s)
    assert plan.prices == table_price("deepseek", "deepseek-chat")
    answers = [ModelReply(content(8), None, "stop", 1000, 100, True, 800) for _ in range(3)]
    result = run_review(plan, s, chat=ScriptedChat(list(answers)))
    stats = result.stats
    assert (stats.prompt_tokens, stats.cached_prompt_tokens, stats.completion_tokens) == (
        3000,
        2400,
        300,
    )
    # 600 fresh tokens at ¥2, 2,400 cache hits at ¥0.2, 300 answer tokens at ¥3 per million
    assert stats.estimated_cost == pytest.approx((600 * 2 + 2400 * 0.2 + 300 * 3) / 1e6)
    assert stats.currency == "CNY"
