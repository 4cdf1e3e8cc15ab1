"""A refused filter is said in the reader's language and names the URL parameter."""
from __future__ import annotations

import re

import pytest

from data_access.case_filters import CaseFilter, FilterError
from layouts.i18n import filter_problem

BAD_QUERIES = [
    ({"unit": "3203"}, "unit", "区划代码"),
    ({"stage": "closed,flying"}, "stage", "无此取值“flying”"),
    ({"from": "2026-13-01"}, "from", "不是日期"),
    ({"from": "9999-12-31"}, "from", "超出 2000-01-01 至 2099-12-31"),
    ({"from": "2026-11-20", "to": "2026-11-01"}, "from", "开始日期晚于结束日期"),
    ({"period": "week"}, "period", "时间范围（period）"),
    ({"on": "deadline"}, "on", "日期类型（on）"),
    ({"sort": "reported_at"}, "sort", "排序（sort）"),
    ({"q": "a\x00b"}, "q", "NUL"),
    ({"major": ["x"]}, "major", "应为文本"),
]


def refusal(args: dict) -> FilterError:
    with pytest.raises(FilterError) as caught:
        CaseFilter.from_query(args)
    return caught.value


@pytest.mark.parametrize(("args", "name", "zh_words"), BAD_QUERIES)
def test_chinese_message_names_the_parameter(args, name, zh_words):
    error = refusal(args)
    said = filter_problem(error.reason, error.params, "zh")
    assert name in said and zh_words in said
    assert re.search(r"[\u4e00-\u9fff]", said)


@pytest.mark.parametrize(("args", "name", "_zh"), BAD_QUERIES)
def test_english_message_is_the_plain_sentence(args, name, _zh):
    error = refusal(args)
    said = filter_problem(error.reason, error.params, "en")
    assert said.startswith(name) and not re.search(r"[\u4e00-\u9fff]", said)


def test_a_pasted_essay_is_quoted_short():
    error = refusal({"period": "x" * 5000})
    assert len(filter_problem(error.reason, error.params, "zh")) < 120
