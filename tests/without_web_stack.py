"""Run ``glas`` with the web stack made unimportable, as on a reviewer's laptop.

    python tests/without_web_stack.py decrypt …

Any attempt to import one of :data:`BLOCKED` fails as if the package were not installed, and
is also written to stderr as ``blocked import: NAME`` (so an attempt that some code catches and
survives is still seen by the test). At exit, any module of our server packages that was loaded
is named as ``server module loaded: NAME``.
"""

from __future__ import annotations

import atexit
import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

BLOCKED = frozenset(
    {
        "flask",
        "flask_wtf",
        "flask_babel",
        "werkzeug",
        "wtforms",
        "sqlalchemy",
        "alembic",
        "stem",
        "gunicorn",
        "gevent",
        "pyotp",
        "segno",
        "psycopg",
    }
)
#: Our own server-side packages: not blocked (``glas serve`` must say what is missing), but
#: named on stderr at exit if a command loaded them.
SERVER_PACKAGES = ("portal", "onion")


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in BLOCKED:
            print(f"blocked import: {fullname}", file=sys.stderr)
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, Blocker())
    sys.path[0] = str(__import__("pathlib").Path(__file__).resolve().parent.parent)
    from glas.cli import main

    atexit.register(
        lambda: [
            print(f"server module loaded: {name}", file=sys.stderr)
            for name in sorted(sys.modules)
            if name.partition(".")[0] in SERVER_PACKAGES
        ]
    )

    sys.argv[0] = "glas"
    main()
