"""Markdown rendering shared by every feature: people write text, never markup."""

from community.markdown import render_markdown


def test_raw_html_is_shown_as_text_not_run():
    html = render_markdown("<script>alert(1)</script> <img src=x onerror=alert(1)>").html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_dangerous_links_are_dropped_and_safe_ones_kept():
    html = render_markdown("[a](javascript:alert(1)) [b](/need-help) [c](https://nhs.uk)").html
    assert "javascript:" not in html.replace("[a](javascript:alert(1))", "")
    assert '<a href="/need-help" rel="noopener noreferrer">b</a>' in html
    assert 'href="https://nhs.uk"' in html


def test_sections_get_anchors_and_the_page_keeps_one_h1():
    rendered = render_markdown("# Big\n\n## Symptoms\n\n## Symptoms\n\n### Detail")
    assert "<h1" not in rendered.html
    assert [h.id for h in rendered.contents] == ["big", "symptoms", "symptoms-2"]
    assert '<h3>Detail</h3>' in rendered.html
