"""The nginx configuration in front of the workers, written from the app's own limits.

The same text, with paths and ports of a real server, is what docs/deploy.md shows. Request
sizes follow the app: one evidence file (EVIDENCE_MAX_BYTES) on every path, and on the two paths
where a contact sends several files at once, that many files. The margin is for the form's other
fields, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE. The app holds the same sums itself
(diary/web/body_size.py), tighter on routes that take no file, so nginx never refuses what the
app would take (tests/security/test_body_size.py). An export to import (IMPORT_MAX_BYTES, gigabytes
for a mailbox) has a location of its own."""

from dataclasses import dataclass

# The paths that take a contact's send with up to MAX_FILES files (the page and the API).
MANY_FILE_PATHS = ("/w/", "/api/witness/submissions/")
# The owner's pages that take up to EVIDENCE_MAX_FILES files: nginx locations, and a path of
# each for the checks.
OWNER_FILE_LOCATIONS = (
    ("= /diary/capture/", "/diary/capture/"),
    ("= /diary/entries/new/", "/diary/entries/new/"),
    ("~ ^/diary/entries/[0-9]+/evidence/$", "/diary/entries/1/evidence/"),
)
# The owner's page that takes one export to import, up to IMPORT_MAX_BYTES.
IMPORT_LOCATION = ("= /diary/import/", "/diary/import/")
# Resumable uploads (tus, diary/uploads/): one piece a request, whatever a whole file may be.
PIECE_LOCATION = ("~ ^/(diary|w)/uploads/", "/diary/uploads/")
PIECE_PATHS = ("/diary/uploads/", "/w/uploads/")
DEFAULT_PIECE_BYTES = 8 * 1024 * 1024  # UPLOAD_PIECE_MAX_BYTES's default
MIB = 1024 * 1024


@dataclass(frozen=True)
class BodyLimits:
    one_file: int
    many_files: int
    owner_files: int = 0
    import_file: int = 0
    pieces: int = 0


def body_limits(
    *,
    evidence_max_bytes: int,
    max_files: int,
    form_bytes: int,
    owner_max_files: int = 0,
    import_max_bytes: int = 0,
    piece_bytes: int = DEFAULT_PIECE_BYTES,
) -> BodyLimits:
    """The largest request the app accepts, rounded up to whole MiB for nginx."""
    margin = form_bytes + MIB  # the other fields, and multipart's own boundaries and headers

    def whole_mib(size: int) -> int:
        return -(-size // MIB) * MIB

    return BodyLimits(
        one_file=whole_mib(evidence_max_bytes + margin),
        many_files=whole_mib(evidence_max_bytes * max_files + margin),
        owner_files=whole_mib(evidence_max_bytes * (owner_max_files or max_files) + margin),
        import_file=whole_mib((import_max_bytes or evidence_max_bytes) + margin),
        # A piece's request carries the piece alone; the MiB is body_size.piece_cap's.
        pieces=whole_mib(piece_bytes + MIB),
    )


PROXY = """\
            proxy_pass http://sightline;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";"""


def render(
    *,
    listen: str,
    workers: list[str],
    limits: BodyLimits,
    prefix: str,
    user: str | None = None,
) -> str:
    """nginx.conf for `make stack`: everything it writes lives under `prefix`."""
    upstream = "\n".join(f"        server {address};" for address in workers)
    many = "\n".join(
        f"""        location = {path} {{
            client_max_body_size {limits.many_files // MIB}m;
{PROXY}
        }}
"""
        for path in MANY_FILE_PATHS
    )
    owners = "\n".join(
        f"""        location {location} {{
            client_max_body_size {limits.owner_files // MIB}m;
{PROXY}
        }}
"""
        for location, _path in OWNER_FILE_LOCATIONS
    )
    imports = f"""        location {IMPORT_LOCATION[0]} {{
            client_max_body_size {limits.import_file // MIB}m;
{PROXY}
        }}
"""
    pieces = (
        f"""        location {PIECE_LOCATION[0]} {{
            client_max_body_size {limits.pieces // MIB}m;
{PROXY}
        }}
"""
        if limits.pieces
        else ""
    )
    user_line = f"user {user};\n" if user else ""
    return f"""\
# Written by `make stack` (stack/nginx.py); docs/deploy.md explains each part.
daemon off;
{user_line}worker_processes 1;
worker_rlimit_nofile 16384;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/nginx-error.log warn;

events {{
    worker_connections 8192;
}}

http {{
    access_log off;
    server_tokens off;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/nginx/body;
    proxy_temp_path {prefix}/nginx/proxy;
    fastcgi_temp_path {prefix}/nginx/fastcgi;
    uwsgi_temp_path {prefix}/nginx/uwsgi;
    scgi_temp_path {prefix}/nginx/scgi;

    # A websocket upgrade is passed on as one; anything else keeps its upstream connection.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";
    }}

    upstream sightline {{
        # Sockets stay open for hours: send each new one to the worker holding fewer.
        least_conn;
{upstream}
        keepalive 32;
        # Idle connections are closed here first: the workers keep them 75 s.
        keepalive_timeout 60s;
    }}

    server {{
        listen {listen};
        server_name _;
        # One evidence file (EVIDENCE_MAX_BYTES) and the form around it; bigger is refused here.
        client_max_body_size {limits.one_file // MIB}m;
        client_body_timeout 120s;

        location / {{
{PROXY}
        }}

        # A contact may send several files at once.
{many}
        # The owner may add several files at once (EVIDENCE_MAX_FILES) on her forms.
{owners}
        # An export to bring messages in from (IMPORT_MAX_BYTES): a mailbox can be gigabytes.
{imports}
        # A file or recording sent in pieces: one piece a request (UPLOAD_PIECE_MAX_BYTES).
{pieces}
        location /ws/ {{
            proxy_pass http://sightline;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # An open page's socket is quiet for as long as nothing happens.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
"""
