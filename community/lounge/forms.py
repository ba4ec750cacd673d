"""The lounge's forms: a letter's details, an admin's template wording, the checklist, a diary entry.

Rules about what may be saved live in the services (a Refusal, shown beside its field), so the forms only carry
the words and give the labels and hints."""

from community.forms import Form  # noqa: F401
