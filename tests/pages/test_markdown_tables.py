"""GitHub-style tables in page text: rendered, kept safe, and wrapped so a wide one scrolls inside its own box."""

from community.markdown import render_markdown

TABLE = "| Day | Time |\n|:---|---:|\n| Wednesday | 19:00 |\n"
WRAP = '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">'


def test_a_table_is_rendered_inside_a_scrolling_box():
    html = render_markdown("Our café:\n\n" + TABLE).html
    assert html.count(WRAP + "<table>") == 1 and html.count("</table></div>") == 1
    assert '<th scope="col">Day</th>' in html and "<td>Wednesday</td>" in html
    assert "style=" not in html  # alignment styles would break the Content Security Policy


def test_markup_inside_a_table_is_shown_as_text():
    html = render_markdown("| a | b |\n|---|---|\n| <script>x</script> | [y](javascript:alert(1)) |\n").html
    assert "<script" not in html and 'href="javascript' not in html


def test_table_tags_typed_as_text_are_never_wrapped_or_run():
    html = render_markdown("Type `<table>` or <table> to make one.").html
    assert WRAP not in html and "<table>" not in html


def test_two_tables_get_a_box_each():
    html = render_markdown(TABLE + "\nBetween.\n\n" + TABLE).html
    assert html.count(WRAP) == 2
