"""Benchmark: time to serve the main pages and to log in, through the real app on a real database.

Run by hand:  .venv/bin/python bench/pages.py            (SQLite in a temp folder)
              DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pages.py
Figures go in bench/README.md.
"""

import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask.testing import FlaskClient  # noqa: E402

from community.after_response import wait_for_pending_work  # noqa: E402
from community.extensions import db  # noqa: E402
from community.pages.services import seed_pages  # noqa: E402
from tests.conftest import csrf_token_from, make_test_app  # noqa: E402
from tests.factories import PASSWORD, make_member, make_user  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", 300))


def timed(label: str, action, rounds: int = ROUNDS) -> None:
    action()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<42} median {statistics.median(samples):6.2f} ms   p95 {p95:6.2f} ms   ({rounds} runs)", flush=True)


def main() -> None:
    # The emails these requests send are written to the log too: keep the figures readable.
    logging.getLogger("community.mail").setLevel(logging.ERROR)
    folder = Path(tempfile.mkdtemp())
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    app = make_test_app(url, folder, RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_pages()
        admin = make_user("admin@bench.test", role="admin")
        member = make_member("member@example.org")
        for _ in range(199):
            make_member()
        anonymous, signed_in = app.test_client(), app.test_client()
        token = csrf_token_from(signed_in.get("/login").text)
        signed_in_answer = signed_in.post("/login", data={"email": admin.email, "password": PASSWORD,
                                                          "csrf_token": token})
        assert signed_in_answer.location == "/login/code", signed_in_answer.text
        token = csrf_token_from(signed_in.get("/login/code").text)
        second_step = signed_in.post("/login/code", data={"code": admin.spare_recovery_codes.pop(),
                                                          "csrf_token": token})
        assert second_step.status_code == 302, second_step.text

        def ok(client, path):
            def run():
                assert client.get(path).status_code == 200
            return run

        print(f"database: {db.engine.url.get_backend_name()}")
        timed("GET / (anonymous)", ok(anonymous, "/"))
        timed("GET /resources/navigating-healthcare", ok(anonymous, "/resources/navigating-healthcare"))
        timed("GET /need-help", ok(anonymous, "/need-help"))
        timed("GET /account (signed in)", ok(signed_in, "/account"))
        timed("GET /admin/members (201 accounts)", ok(signed_in, "/admin/members"))

        def log_in():
            client = app.test_client()
            token = csrf_token_from(client.get("/login").text)
            response = client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
            assert response.status_code == 302

        timed("GET + POST /login (argon2id verify)", log_in, rounds=60)

        # Time to the answer, as someone probing for members would see it: a client that does not close the
        # response, so email sent after the response is left out, as it is for a browser.
        prober = FlaskClient(app, app.response_class, use_cookies=True)
        token = csrf_token_from(prober.get("/reset-password").text)
        new_addresses = (f"new{number}@example.org" for number in itertools.count())

        def post(path, **data):
            def run():
                response = prober.post(path, data={**data, "csrf_token": token})
                assert response.status_code == 200, response.text
                response.get_data()
            return run

        timed("POST /reset-password (a member's address)", post("/reset-password", email=member.email))
        timed("POST /reset-password (nobody's address)", post("/reset-password", email="ghost@bench.test"))

        def sign_up(email_source):
            def run():
                data = {"email": next(email_source), "display_name": "Bench", "password": PASSWORD,
                        "csrf_token": token}
                assert "Check your email" in prober.post("/signup", data=data).text
            return run

        timed("POST /signup (a member's address)", sign_up(itertools.repeat(member.email)), rounds=60)
        timed("POST /signup (a new address)", sign_up(new_addresses), rounds=60)
        wait_for_pending_work()
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
