"""The members' lounge: members-only tools for getting care. `letters`/`letter_pages` are the advocacy letters
(with `letter_docx` for Word downloads), `checklist` the patient checklist, `diary`/`diary_pages` the symptom
diary (with `diary_chart` for its server-drawn chart); `routes` holds the lounge's front page and the checklist's
pages. Everything a member writes here is private to them."""

from flask import Blueprint

bp = Blueprint("lounge", __name__)

from . import diary_pages, letter_pages, models, routes  # noqa: E402,F401
