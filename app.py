"""The WSGI entry point: `flask run`, gunicorn app:app."""

from community import create_app

app = create_app()
