"""Extract pyxform's own test cases (markdown tables) into cases.json.

    python tests/data/pyxform/extract.py PYXFORM_CHECKOUT/tests > tests/data/pyxform/cases.json

Every ``assertPyxformXform(md=...)`` whose table is a literal string (or a module-level string
constant) becomes ``{"case": "tests/file.py:line", "md": "...", "errored": bool}``. Tables built
at run time (f-strings, loops) are left out. The conformance test does not trust ``errored``:
it asks pyxform itself whether it accepts each table.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def cases(root: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "assertPyxformXform"
            ):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            md = keywords.get("md")
            text = None
            if isinstance(md, ast.Constant) and isinstance(md.value, str):
                text = md.value
            elif isinstance(md, ast.Name):
                text = constants.get(md.id)
            if text is None:
                continue
            errored = keywords.get("errored")
            found.append(
                {
                    "case": f"tests/{path.relative_to(root)}:{node.lineno}",
                    "md": text,
                    "errored": isinstance(errored, ast.Constant) and errored.value is True,
                }
            )
    return found


if __name__ == "__main__":
    json.dump(cases(Path(sys.argv[1])), sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")
