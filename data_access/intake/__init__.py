"""Real cases in: the one ingest path every source uses (the HTTP API, file import and
staging-table polling), writing through data_access.case_store like the officers' actions.

- `schema`: what a source sends (pydantic), checked before anything is written.
- `codes`: each source's codes mapped to govwall's vocabulary (a versioned JSON file).
- `placement`: grid code, point-in-polygon (GCJ-02) or address → village; else unplaced.
- `sources`: the source systems and their hashed tokens.
- `ingest`: create cases and apply events, unique by (source, source case id).
- `quality`: per-source data-quality figures.
"""
