"""Leaders' reports: periods, the period indicators from the township_daily rollup, rankings
and the briefing document's data. No dash or plotly here (DESIGN: data_access)."""
