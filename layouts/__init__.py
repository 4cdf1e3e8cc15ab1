"""Pure builders: Dash components and plotly figures from plain data. No data access."""
