"""Early warnings (预警): surges, repeat complaints (智能比对) and repeat callers.

Found offline (`govwall warnings detect`, or the detector thread in serve/demo) and stored
with their evidence in `warnings` / `warning_cases`; the wall and /ops only read them.

- `store`: the one write path for warnings (findings saved idempotently by key; officers'
  status changes; linking and unlinking cases). A supervision order goes through
  `data_access.case_store`, like every other case change.
- `counts`: the grouped reads the detectors use (one query per run, never one per series).
- `surges`, `scan` (the space-time scan over grids), `clusters`, `callers`: the detectors,
  pure functions of what `counts` reads.
- `detect`: one run of every detector at an instant, under a Redis lock.
"""
