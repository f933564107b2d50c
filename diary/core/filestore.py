"""Every read and write of stored file bytes goes through here: evidence originals and
previews, witnesses' files, the brief's photo and export bundles.

Each file is encrypted under a random key of its own; that key, wrapped by the current master
key (diary.core.crypto), is what the file's row keeps beside the file's name. The bytes are cut into
64 KiB segments, each sealed with AES-GCM under a nonce made of its position and a flag for the
last one, so a changed, reordered or cut-short file is refused rather than read. Files are
streamed a segment at a time both ways: a 50 MB upload or a bundle is never held in memory.

Django's storage sits underneath: local MEDIA_ROOT by default, or S3-compatible object storage
(diary.core.s3) when S3_BUCKET is set; nothing above this module notices which. Only the storage API
is used here (save, open "rb", exists, delete), never a local path, and both ways stream: what
storage is handed to save produces ciphertext as storage reads it, and reads decrypt a segment
at a time as storage delivers the bytes.

Durability: a file is durable before the row naming it commits (make_durable). On local disk
that takes an fsync of the file and of each folder above it; an object store acknowledges a
save only once the object is stored, so its save is already durable, and the storage says so
with `durable_on_save = True`. Any other storage is refused (and `manage.py check` says so).

File layout: MAGIC (6 bytes) ‖ segment size (4 bytes, big-endian) ‖ sealed segments, each
ciphertext ‖ 16-byte tag. Segment i uses nonce = i (11 bytes, big-endian) ‖ final flag (1 byte)
(diary.core.sealed, the construction backups use too).
"""

import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db.models.fields.files import FieldFile

from diary.core import crypto
from diary.core.crypto import DecryptionError
from diary.core.sealed import SealedReader, SealedWriter, Sealer, read_exact

MAGIC = b"SLENC1"
SEGMENT = 64 * 1024
HEADER = MAGIC + struct.pack(">I", SEGMENT)
COPY_CHUNK = 4 * SEGMENT


class FileIntegrityError(DecryptionError):
    """A stored file that does not decrypt: changed, cut short, or not one of ours."""


@dataclass(frozen=True)
class Ref:
    """A stored file as a row names it: its name and its wrapped key."""

    name: str
    key: str

    @classmethod
    def of(cls, file: FieldFile, key: str) -> "Ref":
        """The file a row's FileField names ("" for none), with the row's wrapped key."""
        return cls(file.name or "", key)

    def __bool__(self) -> bool:
        return bool(self.name)

    def open(self) -> io.BufferedReader:
        return open(self.name, self.key)

    def chunks(self) -> Iterator[bytes]:
        return chunks(self.name, self.key)


@dataclass(frozen=True)
class Stored:
    """A file as it was stored: its name, its wrapped key, and the plaintext's size and hash."""

    name: str
    key: str
    size: int
    sha256: str


def _sealed_chunks(source: IO[bytes], file_key: bytes, tally: "_Tally") -> Iterator[bytes]:
    """The encrypted file, a segment at a time, from a plaintext source read once."""
    sealer = Sealer(file_key, HEADER)
    yield HEADER
    current = read_exact(source, SEGMENT)
    while True:
        following = read_exact(source, SEGMENT) if len(current) == SEGMENT else b""
        tally.add(current)
        yield sealer.seal(current, final=not following)
        if not following:
            return
        current = following


class _Tally:
    """The plaintext's size and SHA-256, taken from the very bytes that were encrypted."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def add(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)


class _SealedContent(File):
    """What storage is handed to write: the encrypted bytes, produced as storage asks."""

    def __init__(self, chunks: Iterator[bytes], name: str) -> None:
        super().__init__(None, name)
        self._chunks = chunks
        self._pending = b""

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._pending:
            yield self._pending
            self._pending = b""
        yield from self._chunks

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            more = next(self._chunks, b"")
            if not more:
                break
            self._pending += more
        if size < 0:
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def __bool__(self) -> bool:
        return True

    def close(self) -> None:
        pass


class NotDurableError(RuntimeError):
    """A storage that can neither be flushed nor promises that a save is durable."""


def can_be_durable(storage: Storage) -> bool:
    """Whether make_durable can vouch for what this storage saves: files on local disk, which
    it flushes, or a storage whose save is durable by itself."""
    return getattr(storage, "durable_on_save", False) or isinstance(storage, FileSystemStorage)


def make_durable(storage: Storage, name: str) -> None:
    """Make a stored file survive a power cut before the row naming it commits: flush it, and
    the folders that name it, to disk. A storage whose save is durable by itself (an object
    store, which acknowledges a PUT only once the object is stored) says so instead."""
    if getattr(storage, "durable_on_save", False):
        return
    if not isinstance(storage, FileSystemStorage):
        raise NotDurableError(
            f"{type(storage).__name__} keeps no local files to flush and does not promise that a "
            "save is durable (durable_on_save)."
        )
    path = storage.path(name)
    root = os.path.realpath(storage.path(""))
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    folder = os.path.dirname(os.path.realpath(path))
    while True:  # a new folder's own entry lives in its parent
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if folder == root or len(folder) <= len(root):
            break
        folder = os.path.dirname(folder)


def _durable_or_gone(storage: Storage, name: str) -> None:
    """A file that cannot be flushed to disk is not kept: nothing may rest on it."""
    try:
        make_durable(storage, name)
    except BaseException:
        storage.delete(name)
        raise


def store_durably(storage: Storage, name: str, content: File) -> str:
    """Save bytes exactly as given (already at rest: a backup putting files back) under `name`,
    or a free name beside it, flushed to disk before returning."""
    stored = storage.save(name, content)
    _durable_or_gone(storage, stored)
    return stored


def save(name: str, source: IO[bytes], storage: Storage | None = None) -> Stored:
    """Encrypt `source` (read from where it is now, once) into storage under `name`, or a
    free name like it. Returns the name used, the wrapped key, and the plaintext's hash."""
    storage = storage or default_storage
    file_key = crypto.new_file_key()
    tally = _Tally()
    stored_name = storage.save(name, _SealedContent(_sealed_chunks(source, file_key, tally), name))
    _durable_or_gone(storage, stored_name)
    return Stored(
        name=stored_name,
        key=crypto.wrap_file_key(file_key),
        size=tally.size,
        sha256=tally.digest.hexdigest(),
    )


class Writer(SealedWriter):
    """A write-only stream that encrypts as it goes, into a temporary file of ciphertext
    (never the plaintext); `create` hands that to storage once it is closed."""

    def __init__(self, spool: IO[bytes]) -> None:
        self._file_key = crypto.new_file_key()
        spool.write(HEADER)
        super().__init__(
            spool, Sealer(self._file_key, HEADER), segment=SEGMENT, length_prefixed=False
        )
        self._tally = _Tally()
        self._stored: Stored | None = None

    def write(self, data: Any) -> int:
        data = bytes(data)
        self._tally.add(data)
        return super().write(data)

    def tell(self) -> int:
        # zipfile asks where it is; this stream only moves forward, and cannot seek.
        return self._tally.size

    @property
    def size(self) -> int:
        return self._tally.size

    @property
    def stored(self) -> Stored:
        """Where the file went: known once the `create` block has ended."""
        if self._stored is None:
            raise RuntimeError("The file is stored when its `create` block ends.")
        return self._stored

    @property
    def sha256(self) -> str:
        return self._tally.digest.hexdigest()


@contextmanager
def create(name: str, storage: Storage | None = None) -> Iterator[Writer]:
    """Write a new file as a stream: `with create(name) as out: out.write(…)`. When the block
    ends the encrypted file is stored and `out.stored` says where; if it raises, nothing is."""
    storage = storage or default_storage
    with tempfile.TemporaryFile() as spool:
        writer = Writer(spool)
        yield writer
        writer.finish()
        spool.seek(0)
        stored_name = storage.save(name, File(spool, name))
        _durable_or_gone(storage, stored_name)
        writer._stored = Stored(
            name=stored_name,
            key=crypto.wrap_file_key(writer._file_key),
            size=writer.size,
            sha256=writer.sha256,
        )


def _reader(handle: IO[bytes], file_key: bytes) -> SealedReader:
    """The plaintext of a stored file, decrypted a segment at a time as it is read. Reading
    past a changed or missing segment raises FileIntegrityError instead of returning bytes."""
    header = read_exact(handle, len(HEADER))
    if len(header) != len(HEADER) or not header.startswith(MAGIC):
        handle.close()
        raise FileIntegrityError("A stored file is not encrypted in a form Sightline knows.")
    (segment,) = struct.unpack(">I", header[len(MAGIC) :])
    return SealedReader(
        handle,
        Sealer(file_key, header),
        segment=segment,
        length_prefixed=False,
        broken=lambda: FileIntegrityError(
            "A stored file has been changed or cut short, or its key does not fit."
        ),
    )


def open(name: str, key: str, storage: Storage | None = None) -> io.BufferedReader:
    """A readable stream of a stored file's plaintext (use it as a context manager)."""
    storage = storage or default_storage
    file_key = crypto.unwrap_file_key(key)
    return io.BufferedReader(_reader(storage.open(name, "rb"), file_key), buffer_size=SEGMENT)


def chunks(name: str, key: str, size: int = COPY_CHUNK) -> Iterator[bytes]:
    with open(name, key) as handle:
        yield from iter(lambda: handle.read(size), b"")


def sha256_of(name: str, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in chunks(name, key):
        digest.update(chunk)
    return digest.hexdigest()


def delete(name: str, storage: Storage | None = None) -> None:
    if name:
        (storage or default_storage).delete(name)


def exists(name: str, storage: Storage | None = None) -> bool:
    return bool(name) and (storage or default_storage).exists(name)


def encrypt_plain(name: str, storage: Storage | None = None) -> Stored:
    """Encrypt a file stored before encryption at rest, beside it as `<name>.enc`. The plain
    file is left for the caller to delete once the rows naming the new one are committed."""
    storage = storage or default_storage
    with storage.open(name, "rb") as source:
        return save(f"{name}.enc", source, storage)


def decrypted_copy(name: str, key: str) -> IO[bytes]:
    """The plaintext in a temporary file (deleted on close), for readers that must seek,
    such as zipfile. Only for checking a bundle; pages stream instead."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    with open(name, key) as source:
        while block := source.read(COPY_CHUNK):
            spool.write(block)
    spool.seek(0)
    return spool
