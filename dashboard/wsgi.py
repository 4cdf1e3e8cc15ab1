"""WSGI entry point: `gunicorn dashboard.wsgi:server` with GOVWALL_* in the environment."""
from dashboard.app import create_app
from dashboard.settings import load_settings

server = create_app(load_settings()).server
