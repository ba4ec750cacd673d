"""Found by fuzzing every form (tests/fuzz): a NUL character typed into a form (no person means to; a pasted or
tampered value) made PostgreSQL refuse the save with an error page. Every form of ours (community.forms.Form) now
drops NUL from what was typed, so the words are saved without it, on SQLite and PostgreSQL alike."""

from sqlalchemy import select
from wtforms import IntegerField, PasswordField, StringField

from community.forms import Form
from community.forums.models import Category
from community.membership.models import GiftAidDeclaration, GiftCode
from tests.conftest import submit


def test_every_form_drops_nul_from_typed_text_and_leaves_other_data_alone(app):
    class Example(Form):
        class Meta:
            csrf = False

        name = StringField(filters=[lambda value: value.strip() if value else value])
        count = IntegerField()
        password = PasswordField()  # only ever hashed: checked exactly as typed

    with app.test_request_context(method="POST", data={"name": " Tea\x00 and\x00 toast\x00 ", "count": "3",
                                                       "password": "a\x00b"}):
        form = Example()
        assert (form.name.data, form.count.data, form.password.data) == ("Tea and toast", 3, "a\x00b")


def test_an_admin_names_a_category_with_a_nul_in_it(client, as_role, db):
    as_role("admin")
    response = submit(client, "/admin/forums/new", {"name": "Tea\x00 and toast", "description": "Hot\x00 drinks"})
    assert response.status_code == 302
    category = db.session.scalar(select(Category))
    assert (category.name, category.description) == ("Tea and toast", "Hot drinks")


def test_a_gift_aid_declaration_and_a_gift_code_note_with_nul_in_them_are_saved_without_it(client, as_role, db):
    as_role("admin")
    response = submit(client, "/admin/gift-codes", {"note": "Sam\x00, raffle prize"})
    assert response.status_code == 200 and db.session.scalar(select(GiftCode.note)) == "Sam, raffle prize"
    response = submit(client, "/membership/gift-aid", {"title": "Ms\x00", "first_name": "Sam\x00", "last_name": "Jones",
                                                       "house": "12", "address": "High\x00 Street, Leeds",
                                                       "postcode": "ls1\x00 4ab"})
    assert response.status_code == 302
    declaration = db.session.scalar(select(GiftAidDeclaration))
    assert (declaration.first_name, declaration.address) == ("Sam", "High Street, Leeds")
