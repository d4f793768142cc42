"""Print line and branch coverage per package from coverage.py's JSON report (make coverage).

python .ci/coverage_by_package.py coverage.json portal crypto ...
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    with open(sys.argv[1]) as source:
        report = json.load(source)
    packages = sys.argv[2:]
    print(f"{'package':10} {'lines':>7} {'branches':>9}")
    for package in packages:
        lines = covered_lines = branches = covered_branches = 0
        for path, data in report["files"].items():
            if path.split("/")[0] != package:
                continue
            summary = data["summary"]
            lines += summary["num_statements"]
            covered_lines += summary["covered_lines"]
            branches += summary.get("num_branches", 0)
            covered_branches += summary.get("covered_branches", 0)
        line_share = 100 * covered_lines / lines if lines else 100.0
        branch_share = 100 * covered_branches / branches if branches else 100.0
        print(f"{package:10} {line_share:6.1f}% {branch_share:8.1f}%")


if __name__ == "__main__":
    main()
