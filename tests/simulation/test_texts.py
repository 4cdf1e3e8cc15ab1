"""Case texts read like real reports: the problem opens the title, addresses name the real
county, township and village, and descriptions say who found what where."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from data_access.models import Case, Unit
from simulation import catalog
from simulation.bootstrap import ensure_territory
from simulation.seed import seed_history
from tests.support.backends import ZONE, backend_names, open_backend

REGION = "320303"  # 云龙区
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
ROW_CUT = 12  # characters an alert or queue row keeps of a title
INVENTED = re.compile(r"第\d+(街道|镇|乡|村|社区)")
VILLAGE_ADDRESS = re.compile(r"(一|二|三|四|五|六|七|八|九|十|十一|十二)组\d+号")
STREET_ADDRESS = re.compile("(" + "|".join(catalog.STREETS) + r")\d+号")


@pytest.fixture(scope="module", params=backend_names())
def cases(request, tmp_path_factory) -> list[dict]:
    """Two seeded days of 云龙区, each case with its grid's village, township and county."""
    with open_backend(request.param, tmp_path_factory.mktemp("texts")) as backend:
        ensure_territory(backend.sessions, REGION, seed=7)
        seed_history(backend.sessions, backend.counters, REGION, days=2, seed=7, zone=ZONE,
                     now=NOW)
        grid, village, township, county = (aliased(Unit) for _ in range(4))
        with backend.sessions() as session:
            rows = session.execute(
                select(Case.title, Case.description, Case.address, Case.subclass,
                       Case.dispute_type, Case.source, village.name.label("village"),
                       township.name.label("township"), county.name.label("county"))
                .join(grid, grid.code == Case.grid_code)
                .join(village, village.code == grid.parent_code)
                .join(township, township.code == village.parent_code)
                .join(county, county.code == township.parent_code)).mappings().all()
        return [dict(r) for r in rows]


def templates_of(case: dict) -> tuple[catalog.Template, ...]:
    if case["dispute_type"]:
        return catalog.DISPUTE_TEMPLATES[case["dispute_type"]]
    return catalog.TEMPLATES[case["subclass"]]


def test_titles_open_with_the_problem_and_name_the_village(cases):
    assert len(cases) > 100
    for case in cases:
        problems = {p for p, _ in templates_of(case)}
        problem, _, place = case["title"].partition("·")
        assert problem in problems and place == case["village"]
        assert case["title"][:ROW_CUT].startswith(problem)
        assert not INVENTED.search(case["title"])


def test_addresses_name_the_real_county_township_and_village(cases):
    communities = villages = 0
    for case in cases:
        place = case["county"] + case["township"] + case["village"]
        assert case["address"].startswith(place), case["address"]
        rest = case["address"][len(place):]
        if case["village"].endswith("村"):
            villages += 1
            assert VILLAGE_ADDRESS.fullmatch(rest), case["address"]
        else:
            communities += 1
            assert STREET_ADDRESS.fullmatch(rest), case["address"]
    assert communities > 20 and villages > 5  # 云龙区 has both


def test_descriptions_say_who_found_what_where(cases):
    for case in cases:
        lead, _, report = case["description"].partition("：")
        assert lead in catalog.REPORT_LEADS[case["source"]] + catalog.VISIT_LEADS
        assert report.startswith(case["address"] + "，")
        problem = case["title"].partition("·")[0]
        details = dict(templates_of(case))[problem]
        assert f"，{details}。" in report


def test_a_community_lies_on_a_few_streets_and_texts_repeat_per_seed():
    n = 2_000
    places = np.array(["云龙区彭城街道子房社区"] * n + ["丰县华山镇王庄村"] * n, dtype=object)
    villages = np.array(["子房社区"] * n + ["王庄村"] * n, dtype=object)
    keys = np.array(["manhole"] * 2 * n, dtype=object)
    majors = np.array(["urban"] * 2 * n, dtype=object)
    sources = np.array(["grid_patrol"] * 2 * n, dtype=object)
    first = catalog.case_texts(np.random.default_rng(3), keys, majors, sources, places, villages)
    again = catalog.case_texts(np.random.default_rng(3), keys, majors, sources, places, villages)
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    streets = {STREET_ADDRESS.search(a).group(1) for a in first[2][:n]}
    assert len(streets) == catalog.STREETS_EACH
    assert all(VILLAGE_ADDRESS.search(a) for a in first[2][n:])
    assert set(first[0]) == {"井盖缺失·子房社区", "井盖破损·子房社区", "井盖缺失·王庄村",
                             "井盖破损·王庄村"}


def test_every_problem_fits_the_row_cut():
    catalog.check_catalog()
    for templates in (*catalog.TEMPLATES.values(), *catalog.DISPUTE_TEMPLATES.values()):
        for problem, details in templates:
            assert len(problem) < ROW_CUT and details and not details.endswith("。")
