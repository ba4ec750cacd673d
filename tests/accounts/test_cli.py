"""The `flask users` commands admins use instead of touching the database."""

from community.accounts.services import find_user_by_email
from community.moderation.models import AuditEntry
from tests.factories import PASSWORD, make_user


def test_create_admin_makes_a_verified_admin_who_can_log_in(runner, client, login, db):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org", "--name", "Pat"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created admin account boss@example.org" in result.output
    admin = find_user_by_email("boss@example.org")
    assert admin.role == "admin" and admin.is_verified
    login(admin)
    # A new admin is asked to set up two-factor sign-in before the staff pages open.
    assert client.get("/admin").location == "/account/two-factor"


def test_create_admin_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org"], input="password\npassword\n")
    assert result.exit_code != 0 and "most common" in result.output
    assert find_user_by_email("boss@example.org") is None


def test_set_role_changes_the_role_and_records_it(runner, db):
    user = make_user("helper@example.org")
    result = runner.invoke(args=["users", "set-role", "helper@example.org", "moderator"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == "moderator"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.target_id == user.id))
    assert entry.action == "set_role" and entry.detail == "registered → moderator"


def test_set_role_explains_an_unknown_email(runner):
    result = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert result.exit_code != 0 and "There is no account with the email address nobody@example.org" in result.output


def test_create_admin_refuses_an_overlong_display_name(runner):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org", "--name", "x" * 61],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "at most 60 characters" in result.output
    assert find_user_by_email("boss@example.org") is None
