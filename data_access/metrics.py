"""The wall panels' metrics, for whoever computes panels (the wall refresher) to update and
/metrics to export (dashboard/metrics_routes.py).

Label values are panel names, a fixed set in the code (never a unit, a user or a request
value), so the number of series stays bounded. Under gunicorn these are prometheus-client's
multiprocess values: counters add up over the workers, and a panel's data age is the value
a live worker set last.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge

PANEL_CACHE_HITS = Counter(
    "govwall_panel_cache_hits", "Panel results served from the shared cache.", ["panel"])
PANEL_RECOMPUTES = Counter(
    "govwall_panel_recomputes", "Panel results computed from the database.", ["panel"])
PANEL_DATA_AGE = Gauge(
    "govwall_panel_data_age_seconds", "Age of the data a panel shows, as last served.",
    ["panel"], multiprocess_mode="livemostrecent")
