"""`url_for` in templates, remembered: a page's address is the same for every request, so it is built once.

The navigation and footer alone ask for about twenty addresses on every page, and each `url_for` walks Flask's URL
map (a tenth of a small page's time). Templates' `url_for` keeps what it built, keyed by everything a relative
address depends on: the endpoint, its values (an `_anchor` too) and the prefix the site is mounted under
(`SCRIPT_NAME`). A static file's address (its name carries the file's content hash, which costs a look at the file)
is kept too, except while templates reload (`flask run --debug`), where an edited stylesheet must show at once;
in production a changed file needs the processes restarted, as the README says (a page still open with the old
name gets the file all the same). The rest (external addresses, which name the host; a blueprint-relative ".name") is
built by Flask as before, every time.
"""

from functools import lru_cache

from flask import Flask, has_request_context, request, url_for


def init_app(app: Flask) -> None:
    @lru_cache(maxsize=4096)  # bounded: values come from the pages' data (thread ids...), not a fixed list
    def remembered(endpoint: str, values: tuple, script_root: str) -> str:
        return url_for(endpoint, **{name: value for name, _kind, value in values})

    @lru_cache(maxsize=256)
    def remembered_static(filename: str, script_root: str) -> str:
        return url_for("static", filename=filename)

    def template_url_for(endpoint: str, **values) -> str:
        # While templates reload (a developer at work, as the forum's kept reply editor also asks), look again.
        if endpoint == "static" and not app.jinja_env.auto_reload and len(values) == 1 and "filename" in values \
                and has_request_context():
            return remembered_static(values["filename"], request.script_root)
        if endpoint == "static" or endpoint[:1] == "." or not has_request_context():
            return url_for(endpoint, **values)
        key = ()
        if values:
            if "_external" in values or "_scheme" in values:
                return url_for(endpoint, **values)
            # The type too: 1 and True are equal keys but make different addresses.
            key = tuple((name, type(value), value) for name, value in sorted(values.items()))
            try:
                hash(key)
            except TypeError:  # a list of values, say: not worth keeping
                return url_for(endpoint, **values)
        return remembered(endpoint, key, request.script_root)

    app.jinja_env.globals["url_for"] = template_url_for
