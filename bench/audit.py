"""Known vulnerabilities in the pinned runtime requirements (pip-audit), for CI.

    python -m bench.audit [requirements.txt]

Fails (exit 1) only when pip-audit reports a vulnerability that is not in ACCEPTED below. A
package the vulnerability service could not look up is listed as not audited, not as a failure:
where the service cannot be reached (as in the sandbox this project is built in) the step says
so plainly instead of failing every build.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Vulnerability ids we have looked at and accept, each with the reason. None so far.
ACCEPTED: dict[str, str] = {}


def main(argv: list[str]) -> int:
    requirements = argv[0] if argv else "requirements.txt"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "-r", requirements, "--no-deps", "--disable-pip"]
        command += ["--progress-spinner", "off", "-f", "json", "-o", str(report)]
        for vuln in ACCEPTED:
            command += ["--ignore-vuln", vuln]
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except subprocess.TimeoutExpired:
            print("pip-audit: the vulnerability service did not answer in 10 minutes; NOT AUDITED")
            return 0
        if not report.exists():
            print("pip-audit: no report (vulnerability service unreachable?); NOT AUDITED")
            return 0
        data = json.loads(report.read_text())
    found = [(d["name"], d["version"], v["id"]) for d in data["dependencies"] for v in d.get("vulns", [])]
    skipped = [d["name"] for d in data["dependencies"] if "skip_reason" in d]
    audited = len(data["dependencies"]) - len(skipped)
    print(f"pip-audit: {audited} packages audited, {len(skipped)} not audited, {len(found)} vulnerabilities")
    if skipped:
        print("  not audited (service could not look them up): " + ", ".join(skipped))
    for name, version, vuln in found:
        print(f"  VULNERABLE {name} {version}: {vuln}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
