"""What a source sends: a case, an event on a case, a batch. Checked by pydantic before
anything is written; the checks that need the clock or the territory (dates in range, a
point inside the region) are the ingest's (data_access/intake/ingest.py)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from data_access import vocabulary as v

MAX_BATCH = 1000
# A source case id becomes part of the case's external id ("<source>:<id>", 64 characters).
SOURCE_CASE_ID_LENGTH = 47
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(value: str) -> str:
    if _ONE_LINE_CONTROL.search(value):
        raise ValueError("control characters (NUL, line breaks …) are not allowed here")
    return value


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters (NUL …) are not allowed")
    return value


def _code(max_length: int):
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(_one_line)]


Code = _code(64)
SourceCaseId = Annotated[str, Field(min_length=1, max_length=SOURCE_CASE_ID_LENGTH,
                                    pattern=r"^[A-Za-z0-9._:\-/]+$")]
Line = Annotated[str, AfterValidator(_one_line)]


class CaseIn(BaseModel):
    """One case as a source reports it. Place it by `grid_code`, or by `lat`/`lon` in
    GCJ-02 (the datum of China's web maps and of govwall's boundaries), or by `address`;
    a case none of them places is accepted as unplaced."""

    model_config = ConfigDict(extra="forbid")

    source_case_id: SourceCaseId
    reported_at: AwareDatetime = Field(description="when the source received the report, "
                                                   "with its UTC offset")
    category: Code = Field(description="the source's category code (mapped per source)")
    channel: Code | None = None
    urgency: Code | None = None
    stage: Code | None = Field(None, description="the source's stage code; default reported")
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=4000), AfterValidator(_text)] = ""
    grid_code: Annotated[str, Field(pattern=r"^[0-9]{15}$")] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    address: Annotated[Line, Field(max_length=200)] | None = None
    reporter_name: Annotated[Line, Field(max_length=32)] | None = None
    reporter_phone: Annotated[str, Field(pattern=r"^[0-9+\-() ]{3,20}$")] | None = None
    resolved_level: Literal[v.RESOLUTION_LEVELS] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _both_coordinates(self) -> CaseIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together")
        return self


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: Annotated[list[CaseIn], Field(min_length=1, max_length=MAX_BATCH)]

    @field_validator("cases")
    @classmethod
    def _unique_ids(cls, cases: list[CaseIn]) -> list[CaseIn]:
        seen: set[str] = set()
        repeated = sorted({c.source_case_id for c in cases
                           if c.source_case_id in seen or seen.add(c.source_case_id)})
        if repeated:
            raise ValueError(f"source_case_id repeated within the batch: {', '.join(repeated)}")
        return cases


class EventIn(BaseModel):
    """Something that happened to a case at the source: a stage change (`stage`), a
    deadline extension (`until`) or a follow-up result (`satisfaction`)."""

    model_config = ConfigDict(extra="forbid")

    source_case_id: SourceCaseId
    kind: Literal["stage", "extension", "followup"]
    at: AwareDatetime
    stage: Code | None = None
    resolved_level: Literal[v.RESOLUTION_LEVELS] | None = None  # type: ignore[valid-type]
    until: AwareDatetime | None = None
    satisfaction: Code | None = None
    note: Annotated[str, Field(max_length=2000), AfterValidator(_text)] | None = None

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> EventIn:
        needed = {"stage": "stage", "extension": "until", "followup": "satisfaction"}[self.kind]
        if getattr(self, needed) is None:
            raise ValueError(f"a {self.kind} event needs {needed}")
        return self


def error_reasons(errors: list[dict]) -> list[str]:
    """pydantic's errors as short lines: "cases.3.title: String should have at most …"."""
    return [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors]
