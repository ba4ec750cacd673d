"""The POST forms on a page, as a browser sees them: each form's fields (with the options, checked boxes and
selected values a browser would send untouched) and every address it can be sent to (its action, and the
`formaction` of a button inside it or tied to it with form="id")."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

# Input types that are never sent, or that carry text a person types.
_NOT_SENT = {"button", "reset", "image", "file"}
TEXT_KINDS = {"text", "textarea", "email", "password", "search", "tel", "url", "hidden"}


@dataclass
class Field:
    """One name in a form: its kind, the values it offers (radio, checkbox, select, button), what a browser sends
    when nobody touches it, and the limits the page states (min, max, maxlength)."""

    name: str
    kind: str
    options: list[str] = field(default_factory=list)
    default: list[str] = field(default_factory=list)
    limits: dict[str, str] = field(default_factory=dict)

    @property
    def is_choice(self) -> bool:
        return self.kind in ("radio", "checkbox", "select", "submit")


@dataclass(frozen=True)
class FormTarget:
    """A form as it can be sent: to one address, with its fields (a submit button counts as a field whose options
    are the buttons' values)."""

    page: str
    action: str
    fields: tuple[Field, ...]

    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []  # {"id", "method", "action", "controls": [(attrs, tag)]}
        self.orphans: list[dict] = []  # controls outside any form, tied to one with form="id"
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def _add(self, control: dict) -> None:
        owner = control["attrs"].get("form")
        if owner is not None:
            self.orphans.append(control)
        elif self._form is not None:
            self._form["controls"].append(control)

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            self._form = {"id": attrs.get("id"), "method": attrs.get("method", "get").lower(),
                          "action": attrs.get("action"), "controls": []}
            self.forms.append(self._form)
        elif tag == "input" or tag == "button":
            self._add({"tag": tag, "attrs": attrs})
        elif tag == "textarea":
            self._textarea = {"tag": tag, "attrs": attrs, "text": ""}
            self._add(self._textarea)
        elif tag == "select":
            self._select = {"tag": tag, "attrs": attrs, "options": []}
            self._add(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"attrs": attrs, "text": ""}
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = self._option = None
        elif tag == "option":
            self._option = None


def _fields(controls: list[dict]) -> tuple[list[Field], list[dict], bool]:
    """The form's fields by name, its submit buttons with a formaction of their own, and whether it has a button
    (or only a field to press Enter in) that sends it to its own action."""
    fields: dict[str, Field] = {}
    own_action_buttons = []
    plain_submit = False
    for control in controls:
        tag, attrs = control["tag"], control["attrs"]
        if tag in ("textarea", "select"):
            kind = tag
        else:
            kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
        if tag == "button" and kind != "submit":
            continue
        if "disabled" in attrs or kind in _NOT_SENT:
            continue
        if kind == "submit" and "formaction" in attrs:
            own_action_buttons.append(control)
            continue
        plain_submit = plain_submit or kind == "submit"
        name = attrs.get("name")
        if not name:
            continue
        item = fields.setdefault(name, Field(name, kind, limits={key: attrs[key] for key in ("min", "max", "maxlength")
                                                                if key in attrs}))
        if kind in ("radio", "checkbox", "submit"):
            value = attrs.get("value", "on" if kind != "submit" else "")
            item.options.append(value)
            if "checked" in attrs:
                item.default.append(value)
        elif kind == "select":
            options = [option["attrs"].get("value", option["text"].strip()) for option in control["options"]]
            item.options.extend(options)
            chosen = [value for option, value in zip(control["options"], options, strict=True)
                      if "selected" in option["attrs"]]
            item.default.extend(chosen or options[:1])
        elif kind == "textarea":
            # The HTML parser keeps the newline a browser drops right after <textarea>.
            item.default.append(control["text"].removeprefix("\r").removeprefix("\n"))
        else:
            item.default.append(attrs.get("value", ""))
    for item in fields.values():
        if item.kind == "submit":
            item.default = item.options[:1]  # the first button is the one Enter presses
    return list(fields.values()), own_action_buttons, plain_submit or not own_action_buttons


def post_forms(page_url: str, html: str) -> list[FormTarget]:
    """Every (address, fields) a person could send from this page by POST."""
    parser = _FormParser()
    parser.feed(html)
    by_id = {form["id"]: form for form in parser.forms if form["id"]}
    for control in parser.orphans:
        if control["attrs"]["form"] in by_id:
            by_id[control["attrs"]["form"]]["controls"].append(control)
    targets = []
    for form in parser.forms:
        if form["method"] != "post":
            continue
        fields, buttons, sent_to_own_action = _fields(form["controls"])
        action = urljoin(page_url, form["action"] or page_url)
        if sent_to_own_action:
            targets.append(FormTarget(page_url, action, tuple(fields)))
        for button in buttons:
            attrs = button["attrs"]
            extra = [Field(attrs["name"], "submit", [attrs.get("value", "")], [attrs.get("value", "")])] \
                if attrs.get("name") else []
            targets.append(FormTarget(page_url, urljoin(page_url, attrs["formaction"]), tuple(fields + extra)))
    return targets
