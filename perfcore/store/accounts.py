"""Accounts: who may sign in, with what role, and their passwords (hashed with Argon2id).

An account is never deleted: it is disabled, and every change (created, role or unit changed,
password set, disabled, enabled) keeps the earlier version in `row_versions` and writes an
audit row, neither of which ever holds the password or its hash. Wrong passwords are counted:
each one waits a little longer before answering, and after `vocab.MAX_FAILED_SIGN_INS` in a row
the account is locked for `vocab.LOCK_MINUTES`.

    create(con, "王某", "office", "a long password", by=operator())
    account = sign_in(con, "王某", "a long password")      # an access.Account, or SignInRefused
"""
from __future__ import annotations

import datetime as dt
import time

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..access import Account, actor, require_office
from ..errors import PerfcoreError
from ..vocab import FAIL_DELAY_SECONDS, LOCK_MINUTES, MAX_FAILED_SIGN_INS, MIN_PASSWORD_CHARS, ROLES
from .audit import audit, to_json
from .connection import transaction

_HASHER = PasswordHasher()
# Verified against when a name is unknown, so an unknown name costs as long as a wrong password.
_DUMMY = _HASHER.hash("perfcore: no such account")
PUBLIC = ("name", "role", "org", "unit", "collector", "email", "disabled")


class SignInRefused(PerfcoreError):
    """Wrong name or password, a disabled or a locked account (the message never says which name exists)."""

    def __init__(self, zh: str, en: str, locked_until: dt.datetime | None = None):
        self.zh, self.en, self.locked_until = zh, en, locked_until
        super().__init__(f"{zh} / {en}")


def _row(con, name: str) -> dict | None:
    frame = con.execute("SELECT * FROM accounts WHERE name = ?", [name]).df()
    if frame.empty:
        return None
    return {k: (None if v is pd.NaT or (isinstance(v, float) and v != v) else v) for k, v in frame.iloc[0].to_dict().items()}


def _account(row: dict) -> Account:
    return Account(row["name"], row["role"], row["org"], row["unit"], row["collector"], row["email"])


def _public(row: dict) -> dict:
    return {k: row.get(k) for k in PUBLIC}


def _check_fields(con, role: str, org, unit, collector) -> None:
    if role not in ROLES:
        raise PerfcoreError(f"角色应为 {'、'.join(ROLES)} 之一，而不是「{role}」 / role must be one of {', '.join(ROLES)}, not '{role}'")
    if role == "unit":
        if not org or not unit:
            raise PerfcoreError("被考评单位账号需要指定组织和单位（--org、--unit） / a unit account needs --org and --unit")
        if con.execute("SELECT count(*) FROM units WHERE org = ? AND unit = ? AND NOT retired", [org, unit]).fetchone()[0] == 0:
            raise PerfcoreError(f"「{org}」的单位名单中没有「{unit}」 / '{org}' has no unit '{unit}'")
    if role == "collector":
        if not org or not collector:
            raise PerfcoreError("数据采集单位账号需要指定组织和采集单位（--org、--collector） / a collector account needs --org and --collector")
        from ..access import collectors
        known = collectors(con, org)
        if collector not in known:
            raise PerfcoreError(f"「{org}」的指标表中没有数据采集单位「{collector}」（现有：{'、'.join(known) or '无'}） / "
                                f"no data-collection unit '{collector}' in the indicator tables of '{org}'")
    if org and con.execute("SELECT count(*) FROM orgs WHERE org = ?", [org]).fetchone()[0] == 0:
        raise PerfcoreError(f"没有组织「{org}」 / no organisation '{org}'")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise PerfcoreError(f"密码至少 {MIN_PASSWORD_CHARS} 个字符 / the password needs at least {MIN_PASSWORD_CHARS} characters")


def _keep_version(con, old: dict, now: dt.datetime) -> None:
    """The account as it was, without its password hash, into row_versions."""
    con.execute("INSERT INTO row_versions VALUES ('accounts', ?, NULL, ?, ?, ?, ?)",
                [old.get("org") or "", old["name"], int(old.get("version") or 1), now, to_json(_public(old))])


def create(con, name: str, role: str, password: str, org: str | None = None, unit: str | None = None,
           collector: str | None = None, email: str | None = None, by=None, via: str = "cli") -> Account:
    """A new account. `by` is the office account (or operator) creating it."""
    by = actor(by or "system")
    require_office(by, org, "管理账号", "manage accounts")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise PerfcoreError("账号名称不能为空，且不超过 64 个字符 / an account name is 1 to 64 characters")
    _check_password(password)
    now = dt.datetime.now()
    with transaction(con, data=False):
        _check_fields(con, role, org, unit, collector)
        if _row(con, name) is not None:
            raise PerfcoreError(f"账号「{name}」已存在 / account '{name}' already exists")
        if email and con.execute("SELECT count(*) FROM accounts WHERE lower(email) = lower(?)", [email]).fetchone()[0]:
            raise PerfcoreError(f"电子邮箱 {email} 已被另一个账号使用 / e-mail {email} belongs to another account")
        con.execute("INSERT INTO accounts (name, role, org, unit, collector, email, password_hash, disabled, failed_sign_ins, "
                    "created_at, version, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, 0, ?, 1, ?, ?)",
                    [name, role, org, unit if role == "unit" else None, collector if role == "collector" else None,
                     email, _HASHER.hash(password), now, now, by.name])
        audit(con, by.name, "account_add", org, None, "account", name, None, _public(_row(con, name)), None, via)
    return _account(_row(con, name))


def _change(con, name: str, by, action: str, sets: dict, why: str | None, via: str) -> Account:
    by = actor(by or "system")
    now = dt.datetime.now()
    with transaction(con, data=False):
        old = _row(con, name)
        if old is None:
            raise PerfcoreError(f"没有账号「{name}」 / no account '{name}'")
        require_office(by, old.get("org"), "管理账号", "manage accounts")
        _keep_version(con, old, now)
        sets = {**sets, "version": int(old.get("version") or 1) + 1, "changed_at": now, "changed_by": by.name}
        con.execute(f"UPDATE accounts SET {', '.join(f'{k} = ?' for k in sets)} WHERE name = ?", list(sets.values()) + [name])
        audit(con, by.name, action, old.get("org"), None, "account", name, _public(old), _public(_row(con, name)), why, via)
    return _account(_row(con, name))


def set_password(con, name: str, password: str, by=None, via: str = "cli") -> Account:
    """A new password (which also lifts a lock)."""
    _check_password(password)
    changed = _change(con, name, by, "account_password", {"password_hash": _HASHER.hash(password), "failed_sign_ins": 0,
                                                          "locked_until": None}, None, via)
    with transaction(con, data=False):       # a demo password no longer works: no longer listed
        con.execute("UPDATE demo_accounts SET password = NULL WHERE name = ?", [name])
    return changed


def disable(con, name: str, by=None, why: str | None = None, via: str = "cli") -> Account:
    """The account can no longer sign in; it and its history stay."""
    return _change(con, name, by, "account_disable", {"disabled": True}, why, via)


def enable(con, name: str, by=None, why: str | None = None, via: str = "cli") -> Account:
    return _change(con, name, by, "account_enable", {"disabled": False, "failed_sign_ins": 0, "locked_until": None}, why, via)


def list_accounts(con) -> pd.DataFrame:
    """Every account (never its password hash), by role and name."""
    return con.execute("SELECT name, role, org, unit, collector, email, disabled, locked_until, last_sign_in, created_at "
                       "FROM accounts ORDER BY role, name").df()


def exists(con, name: str) -> bool:
    """Whether an account of this name exists (enabled or not)."""
    return _row(con, (name or "").strip()) is not None


def demo_listing(con) -> pd.DataFrame:
    """The sample database's demo accounts and their passwords (empty in a real deployment), for
    the sign-in screen; only accounts still enabled are listed."""
    return con.execute("SELECT a.name, a.role, coalesce(a.unit, a.collector, a.org, '') AS scope, d.password "
                       "FROM demo_accounts d JOIN accounts a ON a.name = d.name WHERE NOT a.disabled AND d.password IS NOT NULL "
                       "ORDER BY a.role, a.name").df()


def get(con, name: str) -> Account | None:
    row = _row(con, name)
    return None if row is None or row["disabled"] else _account(row)


def sign_in(con, name: str, password: str, now: dt.datetime | None = None, wait: bool = True) -> Account:
    """The account, if the name and password match an enabled, unlocked account; else SignInRefused.

    A wrong password waits before answering (longer each time) and, the `MAX_FAILED_SIGN_INS`-th
    time in a row, locks the account for `LOCK_MINUTES`. `wait=False` skips the wait (tests).
    """
    now = now or dt.datetime.now()
    row = _row(con, (name or "").strip())
    wrong = SignInRefused("账号或密码不正确", "wrong account name or password")
    if row is None:
        _verify(_DUMMY, password or "")
        raise wrong
    if row.get("locked_until") is not None and pd.Timestamp(row["locked_until"]) > now:
        raise SignInRefused(f"连续输错密码次数过多，账号已锁定至 {pd.Timestamp(row['locked_until']):%H:%M}",
                            f"too many wrong passwords: the account is locked until {pd.Timestamp(row['locked_until']):%H:%M}",
                            pd.Timestamp(row["locked_until"]).to_pydatetime())
    if not _verify(row["password_hash"], password or ""):
        failed = int(row.get("failed_sign_ins") or 0) + 1
        locked = now + dt.timedelta(minutes=LOCK_MINUTES) if failed >= MAX_FAILED_SIGN_INS else None
        with transaction(con, data=False):
            con.execute("UPDATE accounts SET failed_sign_ins = ?, locked_until = ? WHERE name = ?",
                        [0 if locked else failed, locked, row["name"]])
            if locked:
                audit(con, "system", "account_locked", row.get("org"), None, "account", row["name"], None, None,
                      f"连续 {failed} 次密码错误 / {failed} wrong passwords in a row", "sign-in")
        if wait:
            time.sleep(min(FAIL_DELAY_SECONDS * 2 ** (failed - 1), 4.0))
        if locked:
            raise SignInRefused(f"连续输错密码 {failed} 次，账号已锁定 {LOCK_MINUTES} 分钟",
                                f"{failed} wrong passwords in a row: the account is locked for {LOCK_MINUTES} minutes", locked)
        raise wrong
    if row["disabled"]:
        raise SignInRefused("该账号已停用，请联系效能办", "this account is disabled; ask the evaluation office")
    with transaction(con, data=False):
        con.execute("UPDATE accounts SET failed_sign_ins = 0, locked_until = NULL, last_sign_in = ? WHERE name = ?",
                    [now, row["name"]])
    return _account(row)


def for_email(con, email: str | None) -> Account | None:
    """The enabled account an identity provider's e-mail belongs to (single sign-on), or None."""
    if not email:
        return None
    rows = con.execute("SELECT name FROM accounts WHERE lower(email) = lower(?) AND NOT disabled", [email.strip()]).fetchall()
    return _account(_row(con, rows[0][0])) if len(rows) == 1 else None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
