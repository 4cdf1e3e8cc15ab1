"""`govwall user add|list|disable|enable|set-password|set-role|set-area|unlock` and
`govwall kiosk-token create|revoke|list`.

Each change to an account is recorded in `account_events` (who: --by, else the OS user;
when) and, when it takes rights away or changes them, ends the account's sessions at once
(they live in Redis, see dashboard/sessions.py).
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from redis.exceptions import RedisError

from dashboard.settings import Settings


def _sessions(settings: Settings):
    from data_access.db import make_engine, session_factory

    return session_factory(make_engine(settings.effective_database_url))


def _read_password(args: argparse.Namespace, command: str) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print(f"govwall user {command}: the passwords differ", file=sys.stderr)
        return None
    return first


def _actor(args: argparse.Namespace) -> str:
    return args.by or getpass.getuser()


@contextmanager
def _redis(settings: Settings) -> Iterator:
    """The sessions' Redis; an embedded server this command had to start is stopped after
    (a running demo's is only joined, and left running)."""
    from dashboard.runtime import open_runtime
    from data_access.redis_conn import stop_embedded

    runtime = open_runtime(settings)
    try:
        yield runtime.redis
    finally:
        runtime.close()
        if runtime._embedded is not None:
            stop_embedded(runtime._embedded)


def _end_sessions(settings: Settings, command: str, *, user_id: int | None = None,
                  kiosk_ids: list[int] = ()) -> bool:
    """End the sessions of a user or of kiosk tokens now; False (said on stderr) if Redis
    could not be reached (the database change stands; the guard's once-a-minute re-read
    still ends the sessions of a disabled user or a revoked token)."""
    from dashboard.sessions import session_limits
    from data_access.session_store import SessionStore

    try:
        with _redis(settings) as client:
            store = SessionStore(client, settings.redis_namespace, session_limits(settings))
            ended = store.end_all(user_id=user_id) if user_id is not None else \
                sum(store.end_all(kiosk_id=kiosk_id) for kiosk_id in kiosk_ids)
    except RedisError as exc:
        print(f"govwall {command}: done, but its sessions could not be ended "
              f"(Redis: {exc}); run it again", file=sys.stderr)
        return False
    print(f"ended {ended} session(s)")
    return True


def _change_user(settings: Settings, args: argparse.Namespace, command: str,
                 change: Callable, done: str, region: str = "", *,
                 end_sessions: bool = True) -> int:
    """Apply `change(session, at, actor)` to the user, record it, end their sessions (unless
    the change cannot have given a session more than it had: enabling needs no Redis)."""
    from data_access.accounts import AccountError

    try:
        with _sessions(settings).begin() as session:
            user = change(session, datetime.now(UTC), _actor(args))
    except AccountError as exc:
        print(f"govwall user {command}: {exc}", file=sys.stderr)
        return 1
    print(done.format(user=user, area=user.area or f"{region} (the whole region)"))
    if not end_sessions:
        return 0
    return 0 if _end_sessions(settings, f"user {command}", user_id=user.id) else 1


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import AccountError, check_area, create_user, record_event

    password = _read_password(args, "add")
    if password is None:
        return 1
    sessions = _sessions(settings)
    try:
        with sessions.begin() as session:
            now = datetime.now(UTC)
            area = check_area(session, args.area, settings.region)
            user = create_user(session, args.username, args.name or args.username, args.role,
                               password, now, area)
            record_event(session, now, _actor(args), "add", user.username,
                         f"{user.role} {area}" if area else user.role)
    except AccountError as exc:
        print(f"govwall user add: {exc}", file=sys.stderr)
        return 1
    where = f", area {user.area}" if user.area else ""
    print(f"user {user.username} ({user.role}{where}) created")
    return 0


def cmd_user_list(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import list_users

    with _sessions(settings)() as session:
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            print(f"{user.username}\t{user.role}\t{state}\t{user.display_name}\t"
                  f"created {user.created_at:%Y-%m-%d %H:%M}\t"
                  f"area {user.area or settings.region}")
    return 0


def cmd_user_disable(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import set_active

    return _change_user(settings, args, "disable",
                        lambda s, at, by: set_active(s, args.username, False, at, by),
                        "user {user.username} disabled")


def cmd_user_enable(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import set_active

    return _change_user(settings, args, "enable",
                        lambda s, at, by: set_active(s, args.username, True, at, by),
                        "user {user.username} enabled", end_sessions=False)


def cmd_user_set_password(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import set_password

    password = _read_password(args, "set-password")
    if password is None:
        return 1
    return _change_user(settings, args, "set-password",
                        lambda s, at, by: set_password(s, args.username, password, at, by),
                        "password of {user.username} changed")


def cmd_user_set_role(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import set_role

    return _change_user(settings, args, "set-role",
                        lambda s, at, by: set_role(s, args.username, args.role, at, by),
                        "user {user.username} is now {user.role}")


def cmd_user_set_area(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import set_area

    # The area is part of the session (its duty queue): the user signs in again to it.
    return _change_user(settings, args, "set-area",
                        lambda s, at, by: set_area(s, args.username, args.area,
                                                   settings.region, at, by),
                        "user {user.username} now has the area {area}",
                        region=settings.region)


def cmd_user_unlock(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import record_event
    from data_access.sign_in_throttle import SignInThrottle

    try:
        with _redis(settings) as client:
            throttle = SignInThrottle(client, settings.redis_namespace)
            account, address = throttle.counters(args.username, args.address or "")
            candidates = [account, address] if args.address else [account]
            unlocked = [c for c in candidates if throttle.unlock(c, _actor(args))]
    except RedisError as exc:
        print(f"govwall user unlock: Redis cannot be reached: {exc}", file=sys.stderr)
        return 1
    with _sessions(settings).begin() as session:
        record_event(session, datetime.now(UTC), _actor(args), "unlock", args.username,
                     f"address {args.address}" if args.address else "")
    names = [f"{c.kind} {c.name}" for c in unlocked]
    print(f"unlocked {', '.join(names)}" if names else "nothing was locked or counted")
    return 0


def cmd_kiosk_create(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import create_kiosk_token

    with _sessions(settings).begin() as session:
        info, token = create_kiosk_token(session, args.label, datetime.now(UTC))
    print(f"kiosk token #{info.id} ({info.label}); shown only now, keep it in the screen's URL:")
    print(token)
    print(f"  /wall?kiosk={token}")
    return 0


def cmd_kiosk_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import revoke_kiosk_tokens

    with _sessions(settings).begin() as session:
        revoked = revoke_kiosk_tokens(session, datetime.now(UTC), token_id=args.id,
                                      label=args.label)
    print(f"revoked {len(revoked)} kiosk token(s)")
    if not revoked:
        return 1
    return 0 if _end_sessions(settings, "kiosk-token revoke", kiosk_ids=revoked) else 1


def cmd_kiosk_list(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import list_kiosk_tokens

    with _sessions(settings)() as session:
        for token_id, label, created, revoked in list_kiosk_tokens(session):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
            print(f"#{token_id}\t{label}\tcreated {created:%Y-%m-%d %H:%M}\t{state}")
    return 0


def _username(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username", help="the name the user signs in with")


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", help="who makes the change, as recorded in account_events "
                        "(default: the operating-system user running the command)")


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from one line of standard input instead of "
                        "prompting")


def add_account_commands(sub) -> None:
    from data_access.accounts import ROLES

    user = sub.add_parser("user", help="People who sign in to /ops.",
                          description="People who sign in to /ops.")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION",
                               help="one of these; each has --help")
    p = usub.add_parser("add", help="Create a user (the password is prompted).",
                        description="Create a user. The password is prompted twice, or read "
                        "from one line of standard input with --password-stdin.")
    p.add_argument("username", help="the name to sign in with")
    p.add_argument("--role", required=True, choices=ROLES, help="what the user may do")
    p.add_argument("--name", help="the name shown on screen and in the case history "
                   "(default: the username)")
    p.add_argument("--area", help="the unit code (county, township, village or grid) whose "
                   "cases the user's duty queue on /ops shows (default: the whole region)")
    _password_stdin(p)
    _by(p)
    p.set_defaults(handler=cmd_user_add)

    p = usub.add_parser("list", help="List users, their roles and whether they are active.",
                        description="List users, their roles and whether they are active "
                        "(never their passwords).")
    p.set_defaults(handler=cmd_user_list)
    p = usub.add_parser("disable", help="Stop a user signing in; ends their sessions now.",
                        description="Stop a user signing in and end their sessions now.")
    _username(p)
    _by(p)
    p.set_defaults(handler=cmd_user_disable)
    p = usub.add_parser("enable", help="Let a disabled user sign in again.",
                        description="Let a disabled user sign in again.")
    _username(p)
    _by(p)
    p.set_defaults(handler=cmd_user_enable)
    p = usub.add_parser("set-password", help="Set a new password; ends their sessions now.",
                        description="Set a user's password (prompted twice, or read from "
                        "standard input with --password-stdin) and end their sessions now.")
    _username(p)
    _password_stdin(p)
    _by(p)
    p.set_defaults(handler=cmd_user_set_password)
    p = usub.add_parser("set-role", help="Change what a user may do; ends their sessions now.",
                        description="Change a user's role and end their sessions now (they "
                        "sign in again with the new role).")
    _username(p)
    p.add_argument("--role", required=True, choices=ROLES, help="what the user may do")
    _by(p)
    p.set_defaults(handler=cmd_user_set_role)
    p = usub.add_parser("set-area", help="Set the area a user's duty queue watches; ends "
                        "their sessions now.",
                        description="Set the territory (a unit code of the region: county, "
                        "township, village or grid) whose cases the user's duty queue on /ops "
                        "shows, and end their sessions now (they sign in again to the new "
                        "area). The region's own code, or an empty string, means the whole "
                        "region.")
    _username(p)
    p.add_argument("area", help="a unit code, e.g. 320303001; the region's code for the "
                   "whole region")
    _by(p)
    p.set_defaults(handler=cmd_user_set_area)
    p = usub.add_parser("unlock", help="Lift a sign-in lock or delay before it ends.",
                        description="Forget a user name's failed sign-ins (its delay or "
                        "15-minute lock), and with --address a client address's.")
    p.add_argument("username", help="the user name whose failed sign-ins are forgotten "
                   "(it need not exist: guesses are counted too)")
    p.add_argument("--address", help="also unlock this client IP address (default: only "
                   "the user name)")
    _by(p)
    p.set_defaults(handler=cmd_user_unlock)

    kiosk = sub.add_parser("kiosk-token", help="Read-only tokens for wall screens.",
                           description="Read-only tokens for wall screens.")
    ksub = kiosk.add_subparsers(dest="kiosk_command", required=True, metavar="ACTION",
                                help="one of these; each has --help")
    p = ksub.add_parser("create", help="Create a token for one screen; printed once.",
                        description="Create a token for one screen; printed once.")
    p.add_argument("--label", required=True, help='which screen, e.g. "大厅左屏"')
    p.set_defaults(handler=cmd_kiosk_create)
    p = ksub.add_parser("revoke", help="Revoke a token by id or label.",
                        description="Revoke a token by id or by label.")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--id", type=int, help="the token's number, as `list` shows it "
                       "(required: this or --label)")
    group.add_argument("--label", help="revoke every active token with this label "
                       "(required: this or --id)")
    p.set_defaults(handler=cmd_kiosk_revoke)
    p = ksub.add_parser("list", help="List tokens (never the tokens themselves).",
                        description="List tokens (never the tokens themselves).")
    p.set_defaults(handler=cmd_kiosk_list)
