"""The fuzz tests' form reader sees a form as a browser would send it: so a form the walk misses is a form the site
does not show, not one the reader could not parse."""

from tests.fuzz.forms_on_pages import post_forms

PAGE = """
<form method="get" action="/search"><input name="q"></form>
<form method="post" id="posts" action="react">
  <input type="hidden" name="csrf_token" value="tok">
  <input name="title" value="A &amp; B" maxlength="80">
  <input name="off" disabled value="never sent">
  <textarea name="body">
Hello</textarea>
  <select name="procedure"><option value="">Choose</option><option value="lp" selected>Lumbar puncture</option>
  <option>Other</option></select>
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="l" checked>
  <input type="checkbox" name="symptoms" value="a" checked><input type="checkbox" name="symptoms" value="b">
  <button name="react" value="1:support">Support</button><button name="react" value="1:thanks">Thanks</button>
</form>
<button form="posts" formaction="/t/1/lock">Lock thread</button>
"""


def test_a_post_form_is_read_with_its_defaults_options_and_formaction_buttons():
    main, lock = post_forms("http://localhost/t/1", PAGE)
    assert main.action == "http://localhost/t/react" and lock.action == "http://localhost/t/1/lock"
    fields = {item.name: item for item in main.fields}
    assert set(fields) == {"csrf_token", "title", "body", "procedure", "size", "symptoms", "react"}
    assert fields["title"].default == ["A & B"] and fields["title"].limits == {"maxlength": "80"}
    assert fields["body"].default == ["Hello"]
    assert fields["procedure"].options == ["", "lp", "Other"] and fields["procedure"].default == ["lp"]
    assert (fields["size"].options, fields["size"].default) == (["s", "l"], ["l"])
    assert fields["symptoms"].default == ["a"]
    assert fields["react"].default == ["1:support"] and fields["react"].options == ["1:support", "1:thanks"]
    assert lock.names() == main.names()  # the lock button sends the same form, to its own address
