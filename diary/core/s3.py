"""Stored files on S3-compatible object storage (django-storages), when `S3_BUCKET` is set.

What reaches the bucket is what diary.core.filestore hands it: ciphertext only, sealed before it
leaves the app. This backend adds what filestore needs from an object store and django-storages
does not give as it stands:

- reads stream: `open(name, "rb")` returns the object's body as it arrives, instead of
  django-storages' S3File, which downloads the whole object into memory before the first byte;
- one S3 client per process, shared by every thread: under ASGI each request runs in a thread
  of its own, and django-storages keeps a client per thread, so every request that touched a
  file built a new boto3 session and opened new connections;
- uploads in the calling thread (no transfer thread pool per file), a part at a time;
- no URLs: files are served only by the app's own views, after their permission checks, so
  there is no bucket address to hand out, public or signed.
"""

import threading
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from django.core.files import File
from storages.backends.s3 import S3Storage as BaseS3Storage
from storages.utils import clean_name

NO_URLS = (
    "Stored files have no URL of their own: they are served only through the app's views, "
    "after its permission checks."
)
# Parts of a large upload (and of a bundle) are sent one at a time, each held in memory once.
PART_SIZE = 8 * 1024 * 1024


class _Body:
    """An object's bytes as they arrive; closing it gives its connection back."""

    def __init__(self, body: StreamingBody) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._body.close()

    @property
    def closed(self) -> bool:
        return bool(getattr(self._body, "closed", False))

    def __enter__(self) -> "_Body":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class S3Storage(BaseS3Storage):
    # An object store acknowledges a PUT (or the end of a multipart upload) only once the object
    # is stored and readable; there is nothing further to flush (diary.core.filestore.make_durable).
    durable_on_save = True

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("file_overwrite", False)  # never replace a file another row names
        settings.setdefault("default_acl", None)  # the bucket's own (private) policy
        settings.setdefault(
            "transfer_config",
            TransferConfig(
                use_threads=False, multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE
            ),
        )
        super().__init__(**settings)
        # Threads of one process share the client (below), so its pool must be as large as
        # the requests a worker serves at once; a slow or refusing store is retried.
        self.client_config: Config = self.client_config.merge(
            Config(max_pool_connections=64, retries={"max_attempts": 5, "mode": "standard"})
        )
        self._shared_lock = threading.Lock()
        self._shared: Any = None

    @property
    def connection(self) -> Any:
        # boto3 clients are thread-safe; building one costs tens of milliseconds and a pool of
        # connections, so every thread of the process shares the one made first.
        if self._shared is None:
            with self._shared_lock:
                if self._shared is None:
                    self._shared = self._create_session().resource(
                        "s3",
                        region_name=self.region_name,
                        use_ssl=self.use_ssl,
                        endpoint_url=self.endpoint_url,
                        config=self.client_config,
                        verify=self.verify,
                    )
        return self._shared

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_shared_lock", None)
        state.pop("_shared", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._shared_lock = threading.Lock()
        self._shared = None

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            raise ValueError("Stored files are written with save() and read as 'rb' only.")
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"No stored file {name}") from None
            raise
        return File(_Body(response["Body"]), name)  # type: ignore[arg-type]  # read() is all it needs

    def url(self, name: str, *args: Any, **kwargs: Any) -> str:
        raise NotImplementedError(NO_URLS)
