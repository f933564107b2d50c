"""A real RFC 3161 timestamp authority on loopback: `openssl ts -reply` behind a small HTTP
handler, with its own root certificate and a time-stamping certificate it issued. The tests'
fixtures (tests/tsa.py) serve it; `python -m tests.authority` serves it on its own, to try
timestamps by hand, with nothing installed beyond what `make run` installs.

Nothing about the protocol is imitated: requests are answered by OpenSSL's own authority, so a
token that verifies here verifies with `openssl ts -verify` and with any other client.
"""

import contextlib
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([OPENSSL, *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _key(kind: str, path: str, cwd: Path) -> None:
    if kind == "ec":
        _openssl(
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            path,
            cwd=cwd,
        )
    else:
        _openssl(
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            path,
            cwd=cwd,
        )


def make_authority(folder: Path, *, name: str = "Test Time Authority", kind: str = "rsa") -> Path:
    """A root certificate and the time-stamping certificate it issued, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tsa.cnf").write_text(CONFIG.format(dir=folder))
    (folder / "serial").write_text("01\n")
    _key(kind, "ca.key", folder)
    _openssl(
        "req",
        "-new",
        "-x509",
        "-key",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "3650",
        "-subj",
        f"/CN={name} Root",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    _key(kind, "tsa.key", folder)
    _openssl(
        "req", "-new", "-key", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=folder
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.pem",
        "-days",
        "3650",
        "-extfile",
        "tsa.cnf",
        "-extensions",
        "tsa_ext",
        cwd=folder,
    )
    (folder / "chain.pem").write_bytes(
        (folder / "tsa.pem").read_bytes() + (folder / "ca.pem").read_bytes()
    )
    return folder


@dataclass
class Authority:
    folder: Path
    url: str = ""
    requests: int = 0
    # Set to make the next answers fail, as an authority that is down or refuses would.
    failing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ca_pem(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def chain_pem(self) -> Path:
        return self.folder / "chain.pem"

    def reply(self, query: bytes) -> bytes:
        with self._lock:  # openssl's serial file is not safe to share between two at once
            self.requests += 1
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tsq") as handle:
                handle.write(query)
                handle.flush()
                return _openssl(
                    "ts", "-reply", "-config", "tsa.cnf", "-queryfile", handle.name, cwd=self.folder
                )


def serve(authority: Authority, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            query = self.rfile.read(length)
            if authority.failing or self.headers.get("Content-Type") != (
                "application/timestamp-query"
            ):
                self.send_error(503 if authority.failing else 415)
                return
            try:
                body = authority.reply(query)
            except RuntimeError:
                self.send_error(400)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    authority.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    """`python -m tests.authority [--port 8460] [--folder .tsa]`: the same authority, on its own, to
    try timestamps by hand (README, Timestamps): it prints the two settings that name it."""
    import argparse

    parser = argparse.ArgumentParser(description="A timestamp authority on loopback.")
    parser.add_argument("--port", type=int, default=8460)
    parser.add_argument("--folder", type=Path, default=Path(".tsa"))
    options = parser.parse_args()
    folder = options.folder.resolve()
    if not (folder / "tsa.pem").exists():
        make_authority(folder)
    authority = Authority(folder)
    serve(authority, options.port)
    print(f"TIMESTAMP_URLS={authority.url}", flush=True)
    print(f"TIMESTAMP_CA_CERTS={authority.ca_pem}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
