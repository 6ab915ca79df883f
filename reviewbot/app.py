"""Wire the stages from settings: the one place the CLI and the Action share."""

from __future__ import annotations

from dataclasses import dataclass, replace

from reviewbot.cache import AnswerCache, ReviewCache
from reviewbot.change import Change
from reviewbot.chat import ChatClient
from reviewbot.config import ConfigError, Settings, env
from reviewbot.filters import FileFilter
from reviewbot.findings import ReviewResult, Severity
from reviewbot.llm import Backoff, Endpoint, ModelClient
from reviewbot.pricing import PRICES_AS_OF, Price, resolve_price, unpriced_note
from reviewbot.prompts import PromptRenderer, PromptSettings
from reviewbot.providers import (
    PROVIDERS,
    Provider,
    context_for,
    default_chunk_budget,
    get_provider,
    is_openai_api,
    is_reasoning_model,
)
from reviewbot.redact import register_env_secrets, register_secret
from reviewbot.requestargs import Sampling
from reviewbot.review import (
    EngineOptions,
    PreparedReview,
    ProgressCallback,
    Reviewer,
    prepare,
)
from reviewbot.rules import Reader, RepoRules, owners_rules, read_repo_rules
from reviewbot.selfcheck import FindingsCheck, SelfCheckOptions, VerdictCache
from reviewbot.threshold import split_by_severity
from reviewbot.tokens import TokenCounter, encoding_for_model, get_counter
from reviewbot.verdicts import verify_json_schema
from reviewbot.verify import VerifyRenderer


class MissingApiKey(ConfigError):
    """No API key anywhere it may come from."""


def resolve_provider(settings: Settings) -> Provider | None:
    if settings.provider is None:
        return None
    provider = get_provider(settings.provider)
    if provider is None:
        raise ConfigError(
            f"unknown provider '{settings.provider}' (choose from {', '.join(PROVIDERS)})"
        )
    return provider


def resolve_model(settings: Settings, provider: Provider | None) -> str:
    model = settings.model or (provider.default_model if provider else None)
    if model:
        return model
    if settings.base_url or env("OPENAI_BASE_URL") or (provider and provider.base_url is None):
        raise ConfigError("no model configured: pass --model (or set REVIEWBOT_MODEL)")
    return "gpt-4o-mini"


def resolve_endpoint(settings: Settings, *, need_key: bool = True) -> Endpoint:
    provider = resolve_provider(settings)
    base_url = settings.base_url or (provider.base_url if provider else None)
    base_url = base_url or env("OPENAI_BASE_URL")
    if provider is not None and provider.base_url is None and base_url is None:
        raise ConfigError(f"--provider {provider.name} needs --base-url (the server's /v1 URL)")
    key = settings.api_key.get_secret_value() if settings.api_key else None
    key_env = provider.key_env if provider else None
    key = key or (env(key_env) if key_env else None) or env("OPENAI_API_KEY")
    if not key:
        if provider is not None and not provider.needs_key:
            key = "not-needed"  # local servers ignore it, the SDK insists on one
        elif need_key:
            where = f"{key_env} or OPENAI_API_KEY" if key_env else "OPENAI_API_KEY"
            raise MissingApiKey(f"no API key: set {where}, or pass --api-key")
        else:
            key = "dry-run"
    register_secret(key)
    register_env_secrets()
    mode = settings.response_format
    first = (provider.first_mode if provider else "json_schema") if mode == "auto" else mode
    return Endpoint(
        base_url=base_url,
        api_key=key,
        model=resolve_model(settings, provider),
        provider=provider.name if provider else None,
        first_mode=first,
        openai_api=is_openai_api(provider, base_url),
    )


def chunk_budget(settings: Settings, model: str) -> int:
    if settings.max_chunk_tokens:
        return settings.max_chunk_tokens
    provider = get_provider(settings.provider) if settings.provider else None
    return default_chunk_budget(context_for(model, provider), settings.max_answer_tokens)


def token_counter(settings: Settings, model: str) -> TokenCounter:
    name = settings.token_encoding
    return get_counter(encoding_for_model(model) if name == "auto" else name)


def prices_for(settings: Settings, model: str) -> Price | None:
    """The user's price for the model, else their flat price, else the built-in table's."""
    user = {name: (p.input, p.output, p.currency) for name, p in settings.prices.items()}
    flat = None
    if settings.price_input is not None and settings.price_output is not None:
        flat = (settings.price_input, settings.price_output)
    provider = resolve_provider(settings)
    return resolve_price(provider.name if provider else None, model, user_models=user, flat=flat)


def file_filter(settings: Settings) -> FileFilter:
    return FileFilter(settings.include, settings.exclude, settings.default_excludes)


def renderer_for(settings: Settings, repo_rules: RepoRules | None = None) -> PromptRenderer:
    return PromptRenderer(
        settings.prompt_dir,
        PromptSettings(settings.language, settings.instructions, settings.max_issues_per_chunk),
        repo_rules=repo_rules,
        path_rules=settings.rules,
    )


def repo_rules_for(settings: Settings, base: Reader | None, counter: TokenCounter) -> RepoRules:
    """The repository's rules file from the base side (`base` reads it), unless turned off."""
    if not settings.repo_rules or base is None:
        return RepoRules()
    return read_repo_rules(base, counter)


@dataclass
class Plan:
    """Everything decided before the first request: what --dry-run shows."""

    endpoint: Endpoint
    prepared: PreparedReview
    renderer: PromptRenderer
    counter: TokenCounter
    prices: Price | None
    # Why no cost is shown (a model the price table does not know), said once by the face.
    price_note: str | None = None
    # Reads the new side's files, to check that a suggestion leaves a file parsing.
    new_text: Reader | None = None

    def prompt_tokens(self) -> list[int]:
        return [
            self.counter.count(self.renderer.system_for(c))
            + self.counter.count(self.renderer.user(c))
            for c in self.prepared.plan.chunks
        ]


def plan_review(settings: Settings, change: Change, *, need_key: bool = True) -> Plan:
    endpoint = resolve_endpoint(settings, need_key=need_key)
    counter = token_counter(settings, endpoint.model)
    # The owners' rules come from the change's base side, never from the change itself.
    renderer = renderer_for(settings, repo_rules_for(settings, change.base, counter))
    prices = prices_for(settings, endpoint.model)
    note = None
    if prices is None:
        if settings.max_cost is not None:
            raise ConfigError(
                f"--max-cost needs a price for model {endpoint.model}, which the built-in table "
                f'(as of {PRICES_AS_OF}) does not list: set [prices."{endpoint.model}"] or '
                "--price-input/--price-output"
            )
        note = unpriced_note(endpoint.provider, endpoint.model)
    budget = chunk_budget(settings, endpoint.model)
    prepared = prepare(change.diff, file_filter(settings), budget, counter)
    # What the source could not read is listed first, then what the filter and chunker left out.
    prepared = replace(prepared, skipped=[*change.skipped, *prepared.skipped])
    return Plan(endpoint, prepared, renderer, counter, prices, note, new_text=change.head)


def self_check_client(
    settings: Settings,
    endpoint: Endpoint,
    sampling: Sampling,
    stream: bool,
    backoff: Backoff | None,
) -> ModelClient | None:
    """The self-check's client: --verify-model (default the review's) on the same endpoint,
    asking for the verdicts' schema; None with --no-verify."""
    if not settings.verify:
        return None
    return ModelClient(
        replace(endpoint, model=settings.verify_model or endpoint.model),
        sampling,
        stream=stream,
        max_retries=settings.max_retries,
        request_timeout=settings.request_timeout,
        backoff=backoff,
        schema=("finding_verdicts", verify_json_schema()),
    )


def self_check(
    settings: Settings, plan: Plan, client: ChatClient, sampling: Sampling
) -> SelfCheckOptions:
    renderer = VerifyRenderer(
        settings.prompt_dir,
        language=settings.language,
        instructions=owners_rules(settings.instructions, plan.renderer.repo_rules),
    )
    cache = None
    if settings.cache:
        cache = VerdictCache(
            ReviewCache(settings.cache_dir),
            model=settings.verify_model or plan.endpoint.model,
            base_url=plan.endpoint.base_url,
            template=renderer.fingerprint,
            sampling=sampling,
        )
    return SelfCheckOptions(
        client=client,
        renderer=renderer,
        reask=plan.renderer.reask,
        max_reasks=settings.max_reasks,
        min_severity=Severity(settings.min_severity),
        cache=cache,
    )


def run_review(
    plan: Plan,
    settings: Settings,
    on_progress: ProgressCallback | None = None,
    *,
    backoff: Backoff | None = None,
    chat: ChatClient | None = None,
    verify_chat: ChatClient | None = None,
) -> ReviewResult:
    """The review result; `result.fatal` holds the endpoint error if one stopped it.

    `backoff` shapes the waits between retries (tests and the soak bench shorten them);
    `chat` stands in for the endpoint's client (tests drive the engine with a scripted one),
    `verify_chat` for the self-check's (default: `chat`).
    """
    endpoint = plan.endpoint
    stream = settings.stream if settings.stream is not None else is_reasoning_model(endpoint.model)
    sampling = Sampling(
        settings.temperature, settings.top_p, settings.max_answer_tokens, settings.seed
    )
    client = ModelClient(
        endpoint,
        sampling,
        stream=stream,
        max_retries=settings.max_retries,
        request_timeout=settings.request_timeout,
        backoff=backoff,
    )
    cache = None
    if settings.cache:
        cache = AnswerCache.for_config(
            ReviewCache(settings.cache_dir),
            model=endpoint.model,
            base_url=endpoint.base_url,
            templates=plan.renderer.fingerprint,
            sampling=sampling,
        )
    options = EngineOptions(
        chunk_budget=plan.prepared.plan.budget,
        concurrency=settings.concurrency,
        max_reasks=settings.max_reasks,
        deadline_seconds=settings.timeout,
        token_budget=settings.max_tokens,
        prices=plan.prices,
        max_cost=settings.max_cost,
    )
    verify_client = self_check_client(settings, endpoint, sampling, stream, backoff)
    verify = None
    if verify_client is not None:
        verify = self_check(settings, plan, verify_chat or chat or verify_client, sampling)
    check = FindingsCheck(verify, plan.new_text)
    reviewer = Reviewer(
        chat or client,
        plan.renderer,
        options,
        cache=cache,
        counter=plan.counter,
        on_progress=on_progress,
        follow_up=check.follow_up,
        other_clients=[verify.client] if verify is not None else [],
    )
    try:
        result = reviewer.run(plan.prepared)
    finally:
        client.close()
        if verify_client is not None:
            verify_client.close()
    result.findings, below = split_by_severity(result.findings, settings.min_severity)
    result.stats.below_threshold = len(below)
    return result
