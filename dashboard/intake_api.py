"""The intake HTTP API, `/api/v1/`: a Flask blueprint on the app's own server.

Why a blueprint and not a mounted ASGI app: the app is a Flask (WSGI) server run by
gunicorn's sync workers; a blueprint shares its process, its Runtime (engine, Redis), its
health checks and its deployment, with no second server or ASGI bridge to run. pydantic does
the validation and the OpenAPI schemas either way.

- Each source authenticates with its own token (`Authorization: Bearer gws_…`, made by
  `govwall source add`); the sign-in guard (dashboard/auth.py) lets /api/v1/ through to
  this check and nothing else. A token reaches only its own source's cases.
- Errors are RFC 9457 problem+json; validation errors list every reason.
- `Idempotency-Key`: the first answer is kept 24 h and replayed for the same key and body;
  the same key with another body is 409.
- A fixed window of GOVWALL_INTAKE_REQUESTS_PER_MINUTE per source in Redis: 429 with
  Retry-After beyond it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from dashboard.intake_setup import make_intake
from dashboard.runtime import Runtime
from data_access.intake.ingest import ACCEPTED, DUPLICATE, REJECTED, Intake
from data_access.intake.placement import TerritoryMissing
from data_access.intake.schema import MAX_BATCH, BatchIn, CaseIn, EventIn, error_reasons
from data_access.intake.sources import SourceRef, authenticate
from data_access.models import Case, IntakeRecord
from data_access.timeutil import as_utc

PREFIX = "/api/v1"
# A batch of 1,000 cases of ordinary size is about 1 MB; 4 MB leaves room for long texts.
MAX_BODY = 4 * 1024 * 1024
IDEMPOTENCY_SECONDS = 24 * 3600
PROBLEM = "application/problem+json"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None,
            errors: list | None = None, headers: dict | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status, headers=headers,
                    mimetype=PROBLEM)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


class Refusal(Exception):
    def __init__(self, response: Response):
        self.response = response


def read_body() -> bytes:
    """The request body, at most MAX_BODY bytes (413 beyond, whether announced or not)."""
    if request.mimetype != "application/json":
        raise Refusal(problem(415, "Unsupported Media Type",
                              "send the body as application/json"))
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refusal(problem(413, "Content Too Large", f"the body is at most {MAX_BODY} bytes"))
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Refusal(problem(413, "Content Too Large", f"the body is at most {MAX_BODY} bytes"))
    return body


def parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise Refusal(problem(422, "Unprocessable Content", "the body does not validate",
                              error_reasons(exc.errors(include_url=False)))) from None


class IntakeApi:
    def __init__(self, runtime: Runtime, intake: Intake):
        self.runtime, self.intake = runtime, intake
        self.namespace = runtime.settings.redis_namespace
        self.per_minute = runtime.settings.intake_requests_per_minute

    # -- before each request ---------------------------------------------------------------

    def authenticate(self) -> SourceRef:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        source = None
        if token:
            # One statement on an autocommit connection: no BEGIN and ROLLBACK around it
            # (two of a batch's round trips to the database, which the batch's answer
            # time waits for on a busy server).
            with self.runtime.sessions() as session:
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                source = authenticate(session, token)
        if source is None:
            raise Refusal(problem(401, "Unauthorized", "a valid source token is required "
                                  "(Authorization: Bearer …)",
                                  headers={"WWW-Authenticate": 'Bearer realm="govwall intake"'}))
        return source

    def rate_limit(self, source: SourceRef) -> None:
        now = self.runtime.clock().timestamp()
        window = int(now // 60)
        key = f"{self.namespace}:v1:intake:rate:{source.id}:{window}"
        pipe = self.runtime.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        used = pipe.execute()[0]
        if used > self.per_minute:
            retry = max(1, int((window + 1) * 60 - now) + 1)
            raise Refusal(problem(429, "Too Many Requests",
                                  f"at most {self.per_minute} requests a minute per source",
                                  headers={"Retry-After": str(retry)}))

    # -- idempotency -----------------------------------------------------------------------

    def idempotent(self, source: SourceRef, body: bytes,
                   handle: Callable[[], Response]) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handle()
        if not _KEY.match(key):
            return problem(400, "Bad Request", "Idempotency-Key is 1-200 visible ASCII "
                           "characters")
        digest = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        redis_key = (f"{self.namespace}:v1:intake:idem:{source.id}:"
                     f"{hashlib.sha256(key.encode()).hexdigest()}")
        client = self.runtime.redis
        if not client.set(redis_key, json.dumps({"body": digest}), nx=True,
                          ex=IDEMPOTENCY_SECONDS):
            kept = json.loads(client.get(redis_key) or "{}")
            if kept.get("body") != digest:
                return problem(409, "Conflict", "this Idempotency-Key was used with another "
                               "request body")
            if "status" not in kept:
                return problem(409, "Conflict", "a request with this Idempotency-Key is still "
                               "being processed; retry later", headers={"Retry-After": "1"})
            replay = Response(kept["response"], kept["status"], mimetype=kept["mimetype"])
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            answer = handle()
        except BaseException:
            client.delete(redis_key)
            raise
        if answer.status_code >= 500:
            client.delete(redis_key)
        else:
            client.set(redis_key, json.dumps({
                "body": digest, "status": answer.status_code, "mimetype": answer.mimetype,
                "response": answer.get_data(as_text=True)}), ex=IDEMPOTENCY_SECONDS)
        return answer

    # -- the endpoints ----------------------------------------------------------------------

    def create_one(self, source: SourceRef, body: bytes) -> Response:
        item = parse(CaseIn, body)
        [outcome] = self.intake.create(source, [item], "api")
        if outcome.status == REJECTED:
            return problem(422, "Unprocessable Content", "; ".join(outcome.reasons),
                           [f"{outcome.source_case_id}: {r}" for r in outcome.reasons])
        return _json(outcome.as_dict(), 201 if outcome.status == ACCEPTED else 200)

    def create_batch(self, source: SourceRef, body: bytes) -> Response:
        batch = parse(BatchIn, body)
        outcomes = self.intake.create(source, batch.cases, "api")
        return _json({"results": [o.as_dict() for o in outcomes],
                      **{s: sum(o.status == s for o in outcomes)
                         for s in (ACCEPTED, DUPLICATE, REJECTED)}})

    def post_event(self, source: SourceRef, body: bytes) -> Response:
        event = parse(EventIn, body)
        [outcome] = self.intake.apply_events(source, [event], "api")
        if outcome.status == REJECTED:
            status = 404 if outcome.case_id is None else 422
            return problem(status, "Not Found" if status == 404 else "Unprocessable Content",
                           "; ".join(outcome.reasons))
        return _json(outcome.as_dict())

    def get_case(self, source: SourceRef, source_case_id: str) -> Response:
        with self.runtime.sessions() as session:
            row = session.execute(
                select(Case.id, Case.stage, Case.grid_code, Case.major_class, Case.subclass,
                       Case.deadline_at, Case.extended_until, Case.satisfaction,
                       IntakeRecord.placement, IntakeRecord.unknown_codes)
                .join(IntakeRecord, IntakeRecord.case_id == Case.id)
                .where(IntakeRecord.source_id == source.id,
                       IntakeRecord.source_case_id == source_case_id)).one_or_none()
        if row is None:
            return problem(404, "Not Found", "no case with this source_case_id from this "
                           "source")
        out = dict(row._mapping)
        out["case_id"] = out.pop("id")
        out["source_case_id"] = source_case_id
        for name in ("deadline_at", "extended_until"):
            out[name] = as_utc(out[name]).isoformat() if out[name] else None
        return _json(out)


def _outcome_schema() -> dict:
    return {"type": "object", "required": ["source_case_id", "status"], "properties": {
        "source_case_id": {"type": "string"},
        "status": {"type": "string",
                   "enum": ["accepted", "duplicate", "rejected", "applied", "ignored"]},
        "case_id": {"type": "integer"},
        "reasons": {"type": "array", "items": {"type": "string"}}}}


def openapi_document() -> dict:
    _, defs = models_json_schema([(m, "validation") for m in (CaseIn, BatchIn, EventIn)],
                                 ref_template="#/components/schemas/{model}")
    schemas = {**defs["$defs"], "Outcome": _outcome_schema(), "Problem": {
        "type": "object", "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}}}}}

    def ref(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def answers(ok: dict[str, tuple[str, dict]], *errors: int) -> dict:
        out = {code: {"description": text, "content": {"application/json": {"schema": s}}}
               for code, (text, s) in ok.items()}
        for code in (400, 401, 409, 413, 415, 422, 429, 503, *errors):
            out[str(code)] = {"description": "a problem (RFC 9457)",
                              "content": {PROBLEM: {"schema": ref("Problem")}}}
        return out

    def post(summary: str, body: str, ok: dict) -> dict:
        return {"post": {
            "summary": summary,
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 200}}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref(body)}}},
            "responses": answers(ok, 404)}}

    batch_answer = {"type": "object", "properties": {
        "results": {"type": "array", "items": ref("Outcome")},
        "accepted": {"type": "integer"}, "duplicate": {"type": "integer"},
        "rejected": {"type": "integer"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "govwall intake", "version": "1",
                 "description": "Real cases in. Coordinates are GCJ-02. Every operation needs "
                 "a source token: Authorization: Bearer gws_… (govwall source add)."},
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas, "securitySchemes": {
            "sourceToken": {"type": "http", "scheme": "bearer"}}},
        "security": [{"sourceToken": []}],
        "paths": {
            f"{PREFIX}/cases": post("Report one case", "CaseIn", {
                "201": ("accepted", ref("Outcome")), "200": ("duplicate", ref("Outcome"))}),
            f"{PREFIX}/cases/batch": post(f"Report up to {MAX_BATCH} cases; one answer each",
                                          "BatchIn", {"200": ("per item", batch_answer)}),
            f"{PREFIX}/events": post("A stage change, deadline extension or follow-up result",
                                     "EventIn", {"200": ("applied or ignored (late)",
                                                         ref("Outcome"))}),
            f"{PREFIX}/cases/{{source_case_id}}": {"get": {
                "summary": "One of this source's cases as govwall holds it",
                "parameters": [{"name": "source_case_id", "in": "path", "required": True,
                                "schema": {"type": "string", "maxLength": 47}}],
                "responses": {"200": {"description": "the case", "content": {
                    "application/json": {"schema": {"type": "object"}}}},
                    **{str(c): {"description": "a problem (RFC 9457)", "content": {
                        PROBLEM: {"schema": ref("Problem")}}} for c in (401, 404, 429, 503)}},
            }},
        },
    }


def install(server: Flask, runtime: Runtime) -> IntakeApi:
    api = IntakeApi(runtime, make_intake(runtime))
    bp = Blueprint("intake_api", __name__, url_prefix=PREFIX)
    document = json.dumps(openapi_document(), ensure_ascii=False)

    def guarded(handler: Callable[..., Response], with_body: bool = True):
        def view(**kwargs: Any) -> Response:
            try:
                source = api.authenticate()
                api.rate_limit(source)
                if not with_body:
                    return handler(source, **kwargs)
                body = read_body()
                return api.idempotent(source, body, lambda: _or_refusal(
                    lambda: handler(source, body)))
            except Refusal as refusal:
                return refusal.response
            except TerritoryMissing as exc:
                return problem(503, "Service Unavailable", str(exc))
            except (SQLAlchemyError, RedisError, OSError) as exc:
                log.warning("intake API: services unavailable: %s", exc)
                return problem(503, "Service Unavailable", "the database or Redis cannot be "
                               "reached; retry", headers={"Retry-After": "5"})
        view.__name__ = handler.__name__
        return view

    bp.add_url_rule("/cases", view_func=guarded(api.create_one), methods=["POST"])
    bp.add_url_rule("/cases/batch", view_func=guarded(api.create_batch), methods=["POST"])
    bp.add_url_rule("/events", view_func=guarded(api.post_event), methods=["POST"])
    bp.add_url_rule("/cases/<path:source_case_id>", view_func=guarded(api.get_case, False),
                    methods=["GET"])
    bp.add_url_rule("/openapi.json", "openapi",
                    lambda: Response(document, mimetype="application/json"))
    server.register_blueprint(bp)

    def api_errors(exc):
        """Routing errors under /api/v1 (no such path, wrong method) as problems too."""
        if request.path.startswith("/open311/v2/"):
            return Response(json.dumps([{"code": exc.code, "description": exc.description}]),
                            exc.code, mimetype="application/json")
        if not request.path.startswith(PREFIX + "/"):
            return exc
        return problem(exc.code, exc.name, exc.description)

    for code in (404, 405):
        server.register_error_handler(code, api_errors)
    return api


def _or_refusal(handle: Callable[[], Response]) -> Response:
    try:
        return handle()
    except Refusal as refusal:
        return refusal.response


def start_pollers(runtime: Runtime) -> list[Callable[[], None]]:
    """A polling thread for every source with a staging table (serve and demo); one process
    at a time polls a source (a Redis lock). Returns the stoppers. Sources given a staging
    table later are polled from the next start (or by `govwall source poll`)."""
    import os
    import socket
    import threading

    from data_access.intake.polling import Poller, polled_sources, redis_lock

    try:
        with runtime.sessions() as session:
            names = polled_sources(session)
    except SQLAlchemyError as exc:
        log.warning("intake: staging-table pollers not started (%s)", exc)
        return []
    stoppers = []
    holder = f"{socket.gethostname()}:{os.getpid()}"
    for name in names:
        poller = Poller(make_intake(runtime), runtime.sessions, name)
        stop = threading.Event()
        lock = redis_lock(runtime.redis, runtime.settings.redis_namespace, name, holder)
        thread = threading.Thread(target=poller.run, args=(stop,), kwargs={"lock": lock},
                                  name=f"poller-{name}", daemon=True)
        thread.start()
        stoppers.append(lambda s=stop, t=thread, p=poller: (s.set(), t.join(timeout=10),
                                                            p.close()))
    return stoppers
