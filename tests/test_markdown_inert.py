"""Model text in Markdown bodies: no remote content (images, links, URLs), long bodies folded.
Checked on the HTML GitHub's own engine makes of it."""

from __future__ import annotations

from markdown_html import parse, render

from reviewbot.i18n import using
from reviewbot.reporters.markdown import FOLD_AT, fold, neutralise

HOSTILE = (
    "![pixel](https://evil.example/t.png?pr=7) and <img src=https://evil.example/i.png>\n"
    "See <https://evil.example/auto>, https://evil.example/bare?q=1. or www.evil.example!\n"
    "[click](https://evil.example/phish) [ref]: https://evil.example/def.png\n"
    "\n"
    "[def]: https://evil.example/def2.png\n"
    "\n"
    "![by reference][def] ![also][ref] <a href=https://evil.example>x</a>\n"
    "unpaired ` tick, then https://evil.example/after-tick and \\https://evil.example/slash"
)


def test_hostile_images_autolinks_and_urls_render_inert() -> None:
    page = parse(neutralise(HOSTILE))
    assert page.images == [] and page.links == []
    assert set(page.tags) <= {"p", "code", "br"}
    text = "".join(page.text)
    # Still readable: each URL is shown, as code.
    for url in ("https://evil.example/t.png?pr=7", "https://evil.example/auto", "www.evil.example"):
        assert url in text


def test_a_url_keeps_its_sentence_punctuation_outside_the_code() -> None:
    assert neutralise("see https://a.example/x). Then") == "see `https://a.example/x`). Then"
    assert neutralise("(https://a.example/f(x))") == "(`https://a.example/f(x)`)"
    assert neutralise("<https://a.example>") == "`https://a.example`"


def test_code_the_model_wrote_stays_verbatim() -> None:
    text = "Use `![x](y)` or\n```\n![img](https://evil.example/z.png)\n```\n"
    assert neutralise(text) == text
    page = parse(neutralise(text))
    assert page.images == [] and page.links == []


def test_an_indented_fence_still_opens_and_closes() -> None:
    out = neutralise("- item\n  ```py\n  x = `a` https://e.example\n  ```\nafter")
    html = render(out)
    assert html.count("<pre") == 1 and "<p>after</p>" in html


def long_body() -> str:
    first = "The retry loop never backs off, so a flapping endpoint is hammered. " * 3
    rest = (
        "Why it matters:\n\n- every worker retries at once\n- the rate limit then trips\n\n"
        "```python\nfor attempt in range(5):\n    call()\n```\n\n"
        + "A third paragraph about jitter and caps. "
        * 8
    )
    return first.strip() + "\n\n" + rest


def test_a_long_body_keeps_its_first_paragraph_and_folds_the_rest() -> None:
    body = long_body()
    assert len(body) > FOLD_AT
    folded = fold(neutralise(body))
    html = render(folded)
    before, inside = html.split("<details>", 1)
    assert "never backs off" in before and "jitter" not in before
    assert "<summary>Read more</summary>" in inside and "</details>" in inside
    assert (
        "<li>every worker retries at once</li>" in inside and '<pre lang="python"><code>' in inside
    )
    with using("zh"):
        assert "<summary>展开全文</summary>" in fold(neutralise(body))


def test_short_bodies_and_unsplittable_ones_stay_as_they_are() -> None:
    assert fold("short\n\nbody") == "short\n\nbody"
    one_paragraph = "word " * 200
    assert fold(one_paragraph) == one_paragraph


def test_a_fence_in_the_first_paragraph_is_not_split() -> None:
    body = "```\n" + "x = 1\n\n" * 100 + "```\n\nAfter the code."
    folded = fold(body)
    head = folded.split("<details>")[0]
    assert head.count("```") == 2 and "After the code." not in head
