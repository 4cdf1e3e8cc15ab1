"""Everything that touches the case database and Redis. Never imports dash or plotly."""
