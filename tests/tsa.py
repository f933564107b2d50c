"""The tests' timestamp authorities (tests/authority.py), as fixtures:

    def test_something(tsa): ...  tsa.url, tsa.ca_pem, tsa.chain_pem, tsa.requests

Nothing about the protocol is imitated: requests are answered by OpenSSL's own authority, so a
token that verifies here verifies with `openssl ts -verify` and with any other client.
"""

from collections.abc import Iterator

import pytest

from tests.authority import OPENSSL, Authority, make_authority, serve

__all__ = ["OPENSSL", "Authority", "make_authority", "serve"]


@pytest.fixture(scope="session")
def _tsa_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    authority = Authority(make_authority(tmp_path_factory.mktemp("tsa")))
    server = serve(authority)
    yield authority
    server.shutdown()


@pytest.fixture
def tsa(_tsa_session: Authority) -> Iterator[Authority]:
    """The test authority, answering; `tsa.failing = True` makes it refuse."""
    _tsa_session.failing = False
    yield _tsa_session
    _tsa_session.failing = False


@pytest.fixture(scope="session")
def tsa_ec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """A second, independent authority whose keys are ECDSA P-256."""
    authority = Authority(
        make_authority(tmp_path_factory.mktemp("tsa-ec"), name="Second Time Authority", kind="ec")
    )
    server = serve(authority)
    yield authority
    server.shutdown()
