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


# What members write (user_content=True) ------------------------------------------------------------------------

def test_members_links_are_marked_as_theirs_and_the_charitys_are_not():
    post = render_markdown("[forum tip](https://example.org/tip)", user_content=True).html
    page = render_markdown("[NHS](https://nhs.uk)").html
    assert '<a href="https://example.org/tip" rel="nofollow ugc noopener">forum tip</a>' in post
    assert 'rel="noopener noreferrer"' in page and "nofollow" not in page


def test_members_images_are_never_loaded_but_linked_by_their_alt_text():
    html = render_markdown("![My scan](https://example.org/scan.png)", user_content=True).html
    assert "<img" not in html
    assert '<a href="https://example.org/scan.png" rel="nofollow ugc noopener">Image: My scan</a>' in html


def test_an_image_without_a_web_address_leaves_only_its_alt_text():
    html = render_markdown("![tiny](data:image/png;base64,iVBORw0KGgo=) ![local](/static/x.png)",
                           user_content=True).html
    assert html == "<p>tiny local</p>\n"


def test_an_image_inside_a_link_keeps_the_one_link():
    html = render_markdown("[![badge](https://img.example/b.png)](https://example.org)", user_content=True).html
    assert html.count("<a ") == 1 and '>badge</a>' in html and "img.example" not in html


def test_an_image_without_alt_text_still_says_it_is_an_image():
    html = render_markdown("![](https://example.org/x.png)", user_content=True).html
    assert ">Image</a>" in html


def test_members_headings_are_never_bigger_than_h3_and_get_no_ids():
    rendered = render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four", user_content=True)
    assert "<h1" not in rendered.html and "<h2" not in rendered.html and " id=" not in rendered.html
    assert rendered.html.count("<h3>") == 3 and "<h4>Four</h4>" in rendered.html
    assert rendered.contents == []


def test_members_content_keeps_raw_html_as_text_and_only_web_and_mail_links():
    html = render_markdown("<b onclick=x>hi</b> [call](tel:0800) [mail](mailto:a@example.org) "
                           "[x](javascript:alert(1))", user_content=True).html
    assert "&lt;b onclick=x&gt;" in html and "<b" not in html
    assert 'href="tel:' not in html and 'href="mailto:a@example.org"' in html
    assert 'href="javascript' not in html
