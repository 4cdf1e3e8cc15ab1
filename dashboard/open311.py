"""Open311 GeoReport v2 for systems that speak it, on the same ingest path as /api/v1:

  GET  /open311/v2/services.json            govwall's categories (service_code major/sub)
  POST /open311/v2/requests.json            a new request (form fields of the spec)
  GET  /open311/v2/requests.json            this source's requests (start_date, end_date,
                                            status, service_request_id; page, page_size)
  GET  /open311/v2/requests/{id}.json       one of them

`api_key` is a source token (`govwall source add`); every call needs one, and a source sees
only its own requests (they are citizens' reports). lat/long are GCJ-02. Errors are the
spec's list of {code, description}. A request's service_request_id is govwall's
"o311-…" id for the source; its status is open or closed.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, request
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from dashboard.intake_api import IntakeApi, Refusal
from data_access import vocabulary as v
from data_access.intake.ingest import REJECTED
from data_access.intake.schema import CaseIn, error_reasons
from data_access.intake.sources import SourceRef, authenticate
from data_access.models import Case, IntakeRecord
from data_access.timeutil import as_utc
from layouts.i18n import t

PREFIX = "/open311/v2"
MAX_RESULTS = 1000
DEFAULT_DAYS = 90


def error(code: int, description: str) -> Response:
    return Response(json.dumps([{"code": code, "description": description}],
                               ensure_ascii=False), code, mimetype="application/json")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def _services() -> list[dict]:
    return [{"service_code": f"{major}/{sub}", "service_name": t(f"subclass.{sub}", "zh"),
             "description": t(f"subclass.{sub}", "en"), "metadata": False, "type": "realtime",
             "keywords": "", "group": t(f"major.{major}", "zh")}
            for major, subs in v.SUBCLASSES.items() for sub in subs]


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise Refusal(error(400, f"{name}: not a W3C date-time")) from None
    if when.tzinfo is None:
        raise Refusal(error(400, f"{name}: give the UTC offset"))
    return when.astimezone(UTC)


def install(server: Flask, api: IntakeApi) -> None:
    bp = Blueprint("open311", __name__, url_prefix=PREFIX)
    services = _services()

    def source_of() -> SourceRef:
        key = request.values.get("api_key", "")
        source = None
        if key:
            with api.runtime.sessions() as session:
                source = authenticate(session, key)
        if source is None:
            raise Refusal(error(403, "api_key: a valid source token is required"))
        api.rate_limit(source)
        return source

    def guarded(handler):
        def view(**kwargs: Any) -> Response:
            try:
                return handler(source_of(), **kwargs)
            except Refusal as refusal:
                response = refusal.response
                if response.mimetype == "application/problem+json":  # from rate_limit
                    body = json.loads(response.get_data())
                    out = error(body["status"], body.get("detail", body["title"]))
                    out.headers.update({k: val for k, val in response.headers.items()
                                        if k == "Retry-After"})
                    return out
                return response
            except (SQLAlchemyError, RedisError, OSError):
                return error(503, "the database or Redis cannot be reached; retry")
        view.__name__ = handler.__name__
        return view

    def list_services(source: SourceRef) -> Response:
        return _json(services)

    def create(source: SourceRef) -> Response:
        f = request.form
        code = f.get("service_code", "")
        if code not in {s["service_code"] for s in services}:
            return error(400, f"service_code: {code!r} is not a service of services.json")
        description = f.get("description", "")
        name = " ".join(x for x in (f.get("first_name"), f.get("last_name")) if x) or None
        values: dict[str, Any] = {
            "source_case_id": f"o311-{uuid.uuid4().hex[:16]}",
            "reported_at": api.runtime.clock().isoformat(), "category": code,
            "title": (description.splitlines()[0] if description else
                      t(f"subclass.{code.split('/')[1]}", "zh"))[:200],
            "description": description, "address": f.get("address_string") or None,
            "reporter_name": name, "reporter_phone": f.get("phone") or None}
        if f.get("lat") or f.get("long"):
            values["lat"], values["lon"] = f.get("lat"), f.get("long")
        try:
            item = CaseIn.model_validate(values)
        except ValidationError as exc:
            return error(400, "; ".join(error_reasons(exc.errors(include_url=False))))
        [outcome] = api.intake.create(source, [item], "api")
        if outcome.status == REJECTED:
            return error(400, "; ".join(outcome.reasons))
        return _json([{"service_request_id": item.source_case_id, "service_notice": "",
                       "account_id": None}], 201)

    def _rows(source: SourceRef, where: list, limit: int, offset: int) -> list[dict]:
        with api.runtime.sessions() as session:
            rows = session.execute(
                select(IntakeRecord.source_case_id, Case.stage, Case.major_class,
                       Case.subclass, Case.description, Case.title, Case.reported_at,
                       Case.updated_at, Case.lat, Case.lon, Case.address, Case.deadline_at)
                .join(Case, Case.id == IntakeRecord.case_id)
                .where(IntakeRecord.source_id == source.id, *where)
                .order_by(Case.reported_at.desc(), Case.id.desc())
                .limit(limit).offset(offset)).all()
        return [{"service_request_id": r.source_case_id,
                 "status": "closed" if r.stage in v.TERMINAL_STAGES else "open",
                 "status_notes": r.stage, "service_code": f"{r.major_class}/{r.subclass}",
                 "service_name": t(f"subclass.{r.subclass}", "zh"),
                 "description": r.description or r.title,
                 "requested_datetime": as_utc(r.reported_at).isoformat(),
                 "updated_datetime": as_utc(r.updated_at).isoformat(),
                 "expected_datetime": as_utc(r.deadline_at).isoformat()
                 if r.deadline_at else None,
                 "address": r.address, "lat": r.lat, "long": r.lon} for r in rows]

    def list_requests(source: SourceRef) -> Response:
        a = request.args
        now = api.runtime.clock()
        end = _when(a.get("end_date"), "end_date") or now
        start = _when(a.get("start_date"), "start_date") or end - timedelta(days=DEFAULT_DAYS)
        try:
            page = int(a.get("page", "1"))
            size = int(a.get("page_size", str(MAX_RESULTS)))
        except ValueError:
            return error(400, "page and page_size are whole numbers")
        if page < 1 or not 1 <= size <= MAX_RESULTS:
            return error(400, f"page ≥ 1 and 1 ≤ page_size ≤ {MAX_RESULTS}")
        where = [Case.reported_at >= start, Case.reported_at <= end]
        status = a.get("status")
        if status:
            wanted = set(status.split(","))
            if not wanted <= {"open", "closed"}:
                return error(400, "status is open, closed or both")
            if wanted == {"open"}:
                where.append(Case.stage.not_in(v.TERMINAL_STAGES))
            elif wanted == {"closed"}:
                where.append(Case.stage.in_(v.TERMINAL_STAGES))
        ids = a.get("service_request_id")
        if ids:
            where = [IntakeRecord.source_case_id.in_(ids.split(",")[:MAX_RESULTS])]
        return _json(_rows(source, where, size, (page - 1) * size))

    def one_request(source: SourceRef, request_id: str) -> Response:
        rows = _rows(source, [IntakeRecord.source_case_id == request_id], 1, 0)
        return _json(rows) if rows else error(404, f"no request {request_id!r} of this source")

    bp.add_url_rule("/services.json", view_func=guarded(list_services), methods=["GET"])
    bp.add_url_rule("/requests.json", view_func=guarded(create), methods=["POST"])
    bp.add_url_rule("/requests.json", "list_requests", guarded(list_requests), methods=["GET"])
    bp.add_url_rule("/requests/<request_id>.json", view_func=guarded(one_request),
                    methods=["GET"])
    server.register_blueprint(bp)
