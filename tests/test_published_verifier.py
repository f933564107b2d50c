"""The README gives the SHA-256 of verify.py, so an examiner can tell the copy they hold is this
version's: it must be the file's, and the same as /verify/ and the PDF's cover give."""

import hashlib
from pathlib import Path

from diary.bundle.chronology import verifier_sha256

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "diary" / "bundle" / "offline" / "verify.py"


def test_the_readme_gives_the_sha256_of_this_verify_py():
    digest = hashlib.sha256(VERIFIER.read_bytes()).hexdigest()
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Checking a bundle\n", 1)[1].split("\n## ", 1)[0]
    assert f"\n    {digest}\n" in section, (
        "verify.py changed: put its new SHA-256 in the README's 'Checking a bundle' section "
        f"({digest})"
    )
    assert verifier_sha256() == digest
