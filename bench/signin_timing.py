"""Sign-in timing: can a stranger tell which usernames exist by how long a wrong password takes?

Before issue 13 a wrong password for a real user cost one scrypt check
(129 ms) and an unknown username none (5 ms). Now both cost one check.
Measured through ``accounts.sign_in`` on a real SQLite database with the
production hash (scrypt), the sign-in limits off; baseline, same run: one
bare ``werkzeug.security.check_password_hash`` call (what a sign-in of a
real user must cost at least).

    .venv/bin/python bench/signin_timing.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from werkzeug.security import check_password_hash, generate_password_hash

from callcenter import migrations
from callcenter.access import accounts
from callcenter.db import make_engine, make_session_factory, transaction

PASSWORD = "a-long-enough-password-1"


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    rounds = 8 if ap.parse_args().quick else 40
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'signin.db'}")
        migrations.upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as s:
            accounts.create_user(s, "real.agent", "agent", PASSWORD)

        def attempt(username: str) -> None:
            with transaction(factory) as s:
                assert accounts.sign_in(s, username, "wrong-password", "192.0.2.1") is None

        hashed = generate_password_hash(PASSWORD, method=accounts.PASSWORD_METHOD)
        attempt("unknown.user")  # warm the dummy hash
        rows = {"bare check_password_hash": timed(lambda: check_password_hash(hashed, "wrong"), rounds),
                "wrong password, real user": timed(lambda: attempt("real.agent"), rounds),
                "wrong password, unknown user": timed(lambda: attempt("unknown.user"), rounds)}
        engine.dispose()
    med = {k: statistics.median(v) for k, v in rows.items()}
    table = Table(title=f"Wrong-password sign-in ({accounts.PASSWORD_METHOD}, {rounds} rounds, SQLite)")
    for col in ("", "median ms", "min ms", "max ms"):
        table.add_column(col, justify="right")
    for name, values in rows.items():
        table.add_row(name, f"{med[name]:.1f}", f"{min(values):.1f}", f"{max(values):.1f}")
    Console(width=110).print(table)
    real, unknown = med["wrong password, real user"], med["wrong password, unknown user"]
    print(json.dumps({"bench": "signin_timing", "method": accounts.PASSWORD_METHOD,
                      "baseline_hash_ms": round(med["bare check_password_hash"], 1),
                      "real_user_ms": round(real, 1), "unknown_user_ms": round(unknown, 1),
                      "unknown_to_real_ratio": round(unknown / real, 3)}))


if __name__ == "__main__":
    main()
