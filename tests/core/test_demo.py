"""`flask demo seed`: a living site for newcomers, never on a real one."""

from community.accounts.services import authenticate
from community.permissions import has_member_access

DEMO_EMAILS = ["admin@demo.test", "moderator@demo.test", "member@demo.test", "newcomer@demo.test"]


def test_demo_seed_refuses_without_demo_mode(runner, db):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "only created when DEMO_MODE=1" in result.output
    assert authenticate("admin@demo.test", "leaky-cafe-demo") is None


def test_demo_seed_creates_the_four_accounts_once(app, runner, db):
    app.config["DEMO_MODE"] = True
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == second.exit_code == 0, first.output
    for email in DEMO_EMAILS:
        assert email in first.output
    users = {email: authenticate(email, "leaky-cafe-demo") for email in DEMO_EMAILS}
    assert users["admin@demo.test"].role == "admin"
    assert users["moderator@demo.test"].role == "moderator"
    assert has_member_access(users["member@demo.test"])
    newcomer = users["newcomer@demo.test"]
    assert newcomer.is_verified and not has_member_access(newcomer)


def test_demo_accounts_log_in_through_the_form(app, runner, client, db):
    from tests.conftest import submit

    app.config["DEMO_MODE"] = True
    runner.invoke(args=["demo", "seed"])
    response = submit(client, "/login", {"email": "member@demo.test", "password": "leaky-cafe-demo"})
    assert response.status_code == 302
    assert client.get("/lounge").status_code == 200


def test_demo_payment_button_only_exists_in_demo_mode(app, client, login, db):
    from tests.conftest import submit
    from tests.factories import make_user

    user = make_user()
    login(user)
    assert "Simulate a payment" not in client.get("/membership").text
    app.jinja_env.globals["demo_mode"] = app.config["DEMO_MODE"] = True
    assert "Simulate a payment (no money is taken)" in client.get("/membership").text
    response = submit(client, "/membership/demo-payment", {}, page="/membership")
    assert response.status_code == 302
    assert has_member_access(user)


def test_after_the_demo_payment_the_member_lands_on_the_page_they_wanted(app, client, login, db):
    import re

    from tests.conftest import csrf_token_from
    from tests.factories import make_user

    app.config["DEMO_MODE"] = True
    login(make_user())
    page = client.get("/lounge", follow_redirects=True)
    action = re.search(r'action="(/membership/demo-payment[^"]*)"', page.text).group(1).replace("&amp;", "&")
    response = client.post(action, data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302 and response.location.endswith("/lounge")
    evil = client.post("/membership/demo-payment?next=https://evil.example/", data={
        "csrf_token": csrf_token_from(page.text)})
    assert evil.location.endswith("/membership")
