"""A service's refusal: a kind message for the person, tied to the form field it is about (if any)."""


class Refusal(ValueError):
    """Raised by services when a rule says no; views show it on the form, the CLI prints it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def show_on_form(form, refusal: Refusal) -> None:
    """Put the message beside its field, or at the top of the form when it is about the whole form."""
    field = getattr(form, refusal.field or "", None)
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)
