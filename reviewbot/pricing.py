"""What a review costs in money: a built-in, dated price table, user overrides, and formatting.

Prices are per million tokens, in the currency the provider bills the endpoint's accounts in
(mainland-China endpoints in CNY, the others in USD). The table is a snapshot: a model missing
from it has no price (never a guess), and the caller says so once.

Table as of 2026-11. Sources (each provider's own price page; third-party pages only where they
quote it and were used to cross-check the figure):
- OpenAI: https://developers.openai.com/api/docs/pricing (standard tier; "cached input")
- DeepSeek: https://api-docs.deepseek.com/zh-cn/quick_start/pricing (CNY; deepseek-chat and
  deepseek-reasoner at the V3.2 price: cache hit ¥0.2, miss ¥2, output ¥3)
- Qwen / DashScope (Model Studio, mainland): https://help.aliyun.com/zh/model-studio/models
  (non-thinking mode, first input tier; implicit cache hits bill at 20% of the input price)
- SiliconFlow: https://siliconflow.cn/pricing (CNY; api.siliconflow.cn)
- Doubao / Volcengine Ark: https://www.volcengine.com/docs/82379/1544106 (first input tier,
  0-32k; cache hits per the same page)
- 01.AI / lingyiwanwu: https://platform.lingyiwanwu.com/billing (CNY)
- OpenRouter: https://openrouter.ai/models (passes the upstream provider's USD price through)
How far each figure was checked (2026-11, from this project's offline machines): OpenAI, Qwen
(qwen-plus/-turbo/-max), SiliconFlow DeepSeek-V3 and yi-lightning against the pages named or
pages quoting them; DeepSeek at its V3.2 CNY price (DeepSeek has since listed V4 models with
peak/off-peak prices, not modelled here); Doubao and OpenRouter's openai/* as published by
those pages' earlier versions. Re-check before relying on a figure.
Left out: siliconflow-intl (no published figure we could confirm for its default model) and the
local presets (ollama, vllm, llamacpp), whose cost is the machine's, not per token: no price.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

Currency = Literal["USD", "CNY"]
CURRENCIES: tuple[Currency, ...] = ("USD", "CNY")
PRICES_AS_OF = "2026-11"
SYMBOL: dict[Currency, str] = {"USD": "$", "CNY": "¥"}
# A typical answer (findings JSON) per chunk, for estimates made before any request.
TYPICAL_ANSWER_TOKENS = 600


@dataclass(frozen=True)
class Price:
    """Per million tokens. `cached_input` is the provider's price for prompt tokens it served
    from its own prompt cache, when it reports them."""

    input: float
    output: float
    currency: Currency = "USD"
    cached_input: float | None = None
    origin: Literal["table", "user"] = "table"

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        cached = min(max(cached_tokens, 0), prompt_tokens) if self.cached_input is not None else 0
        fresh = prompt_tokens - cached
        total = fresh * self.input + completion_tokens * self.output
        if cached:
            assert self.cached_input is not None
            total += cached * self.cached_input
        return total / 1_000_000

    def format(self, amount: float) -> str:
        return format_money(amount, self.currency)


def _p(input: float, output: float, currency: Currency, cached: float | None = None) -> Price:
    return Price(input, output, currency, cached)


# provider preset -> model -> price. Keys are lower-case model names; a dated snapshot of a
# listed model (gpt-4o-mini-2024-07-18, doubao-seed-1-6-250615) matches its entry.
TABLE: dict[str, dict[str, Price]] = {
    "openai": {
        "gpt-4o-mini": _p(0.15, 0.60, "USD", 0.075),
        "gpt-4o": _p(2.50, 10.00, "USD", 1.25),
        "gpt-4.1": _p(2.00, 8.00, "USD", 0.50),
        "gpt-4.1-mini": _p(0.40, 1.60, "USD", 0.10),
        "gpt-4.1-nano": _p(0.10, 0.40, "USD", 0.025),
        "gpt-5": _p(1.25, 10.00, "USD", 0.125),
        "gpt-5-mini": _p(0.25, 2.00, "USD", 0.025),
        "gpt-5-nano": _p(0.05, 0.40, "USD", 0.005),
        "o4-mini": _p(1.10, 4.40, "USD", 0.275),
        "o3": _p(2.00, 8.00, "USD", 0.50),
    },
    "deepseek": {
        "deepseek-chat": _p(2.0, 3.0, "CNY", 0.2),
        "deepseek-reasoner": _p(2.0, 3.0, "CNY", 0.2),
    },
    "qwen": {
        "qwen-plus": _p(0.8, 2.0, "CNY", 0.16),
        "qwen-max": _p(2.4, 9.6, "CNY", 0.48),
        "qwen-turbo": _p(0.3, 0.6, "CNY", 0.06),
        "qwen-flash": _p(0.15, 1.5, "CNY", 0.03),
    },
    "siliconflow": {
        "deepseek-ai/deepseek-v3": _p(2.0, 8.0, "CNY"),
        "deepseek-ai/deepseek-r1": _p(4.0, 16.0, "CNY"),
        "deepseek-ai/deepseek-v3.2": _p(2.0, 3.0, "CNY"),
    },
    "ark": {
        "doubao-seed-1-6": _p(0.8, 8.0, "CNY", 0.16),
        "doubao-seed-1-6-flash": _p(0.15, 1.5, "CNY", 0.03),
        "doubao-1-5-pro-32k": _p(0.8, 2.0, "CNY", 0.16),
        "doubao-1-5-lite-32k": _p(0.3, 0.6, "CNY", 0.06),
        "deepseek-v3": _p(2.0, 8.0, "CNY", 0.4),
    },
    "lingyiwanwu": {
        "yi-lightning": _p(0.99, 0.99, "CNY"),
    },
    "openrouter": {
        "openai/gpt-4o-mini": _p(0.15, 0.60, "USD", 0.075),
        "openai/gpt-4o": _p(2.50, 10.00, "USD", 1.25),
        "openai/gpt-4.1": _p(2.00, 8.00, "USD", 0.50),
        "openai/gpt-4.1-mini": _p(0.40, 1.60, "USD", 0.10),
        "openai/gpt-5": _p(1.25, 10.00, "USD", 0.125),
        "openai/gpt-5-mini": _p(0.25, 2.00, "USD", 0.025),
    },
}

# The currency each preset bills in, for user prices that name none.
BILLING_CURRENCY: dict[str, Currency] = {
    "openai": "USD",
    "openrouter": "USD",
    "siliconflow-intl": "USD",
    "deepseek": "CNY",
    "qwen": "CNY",
    "siliconflow": "CNY",
    "ark": "CNY",
    "lingyiwanwu": "CNY",
}
LOCAL_PRESETS = frozenset({"ollama", "vllm", "llamacpp"})

# A dated snapshot suffix: -2024-07-18, -250615, -0125, @2025... (not a size like -32k).
_SNAPSHOT = re.compile(r"^-(?:\d{4}-\d{2}-\d{2}|\d{4,8})$")


def table_price(provider: str | None, model: str) -> Price | None:
    """The built-in price of `model` on a preset, or None when the table has no entry.

    `provider` None is OpenAI's own endpoint (the default when neither a preset nor a base URL
    is given). A name the table lists is matched exactly, or with a dated snapshot suffix.
    """
    prices = TABLE.get(provider or "openai")
    if prices is None:
        return None
    name = model.strip().lower()
    if name in prices:
        return prices[name]
    for key in sorted(prices, key=len, reverse=True):
        if name.startswith(key) and _SNAPSHOT.match(name[len(key) :]):
            return prices[key]
    return None


def is_local(provider: str | None) -> bool:
    return provider in LOCAL_PRESETS


def billing_currency(provider: str | None) -> Currency:
    return BILLING_CURRENCY.get(provider or "openai", "USD")


def resolve_price(
    provider: str | None,
    model: str,
    *,
    user_models: dict[str, tuple[float, float, Currency | None]] | None = None,
    flat: tuple[float, float] | None = None,
    flat_currency: Currency | None = None,
) -> Price | None:
    """The price a run uses: the user's for this model, else the user's flat price, else the
    table's. User prices without a currency are in the preset's billing currency."""
    for name, (inp, out, currency) in (user_models or {}).items():
        if name == model:
            return Price(inp, out, currency or billing_currency(provider), origin="user")
    if flat is not None:
        currency = flat_currency or billing_currency(provider)
        return Price(flat[0], flat[1], currency, origin="user")
    return table_price(provider, model)


def unpriced_note(provider: str | None, model: str) -> str | None:
    """The one line that says why a run shows no cost; None when nothing needs saying."""
    if is_local(provider):
        return None
    where = f" on {provider}" if provider else ""
    return (
        f"no price known for model {model}{where} (table as of {PRICES_AS_OF}): cost not shown; "
        'set [prices."MODEL"] or --price-input/--price-output'
    )


def format_money(amount: float, currency: Currency) -> str:
    """¥0.012, $0.0040, $1.23, ¥1,234.50: two significant digits below one unit."""
    symbol = SYMBOL[currency]
    if amount < 0:
        return "-" + format_money(-amount, currency)
    if amount == 0:
        return f"{symbol}0"
    if amount >= 1:
        return f"{symbol}{amount:,.2f}"
    rounded = float(f"{amount:.2g}")
    if rounded >= 1:
        return f"{symbol}{rounded:,.2f}"
    decimals = max(2, 1 - math.floor(math.log10(rounded)))
    return f"{symbol}{rounded:.{decimals}f}"
