"""The licence: the GNU AGPL v3 text exactly as the FSF published it, and the metadata that
names it."""

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# agpl-3.0.txt as the FSF published it in 2007; the same bytes ship in independent packages
# (zou's and arches' wheels on PyPI), and the same words in the SPDX licence list.
AGPL_3_SHA256 = "76a97c878c9c7a8321bb395c2b44d3fe2f8d81314d219b20138ed0e2dddd5182"


def test_the_licence_is_the_whole_agpl_text_unchanged():
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == AGPL_3_SHA256
    assert text.lstrip().startswith(b"GNU AFFERO GENERAL PUBLIC LICENSE")


def test_the_project_says_agpl_3_or_later():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"
    assert project["license-files"] == ["LICENSE"]
    assert "## Licence" in (ROOT / "README.md").read_text()
