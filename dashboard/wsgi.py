"""WSGI entry point: `gunicorn dashboard.wsgi:server` with GOVWALL_* in the environment."""
from dashboard.app import create_app
from dashboard.server import render_index_once
from dashboard.settings import load_settings

app = create_app(load_settings())
render_index_once(app)
server = app.server
