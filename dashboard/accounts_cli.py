"""`govwall user add` and `govwall kiosk-token create|revoke|list`."""
from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from dashboard.settings import Settings


def _sessions(settings: Settings):
    from data_access.db import make_engine, session_factory

    return session_factory(make_engine(settings.effective_database_url))


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("govwall user add: the passwords differ", file=sys.stderr)
        return None
    return first


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import AccountError, create_user

    password = _read_password(args)
    if password is None:
        return 1
    sessions = _sessions(settings)
    try:
        with sessions.begin() as session:
            user = create_user(session, args.username, args.name or args.username, args.role,
                               password, datetime.now(UTC))
    except AccountError as exc:
        print(f"govwall user add: {exc}", file=sys.stderr)
        return 1
    print(f"user {user.username} ({user.role}) created")
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
        count = revoke_kiosk_tokens(session, datetime.now(UTC), token_id=args.id,
                                    label=args.label)
    print(f"revoked {count} kiosk token(s)")
    return 0 if count else 1


def cmd_kiosk_list(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.accounts import list_kiosk_tokens

    with _sessions(settings)() as session:
        for token_id, label, created, revoked in list_kiosk_tokens(session):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
            print(f"#{token_id}\t{label}\tcreated {created:%Y-%m-%d %H:%M}\t{state}")
    return 0


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
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from one line of standard input instead of "
                   "prompting")
    p.set_defaults(handler=cmd_user_add)

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
