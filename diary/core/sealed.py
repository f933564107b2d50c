"""Streams sealed in segments with AES-GCM: the one construction behind every encrypted stream
Sightline writes, stored files (diary.core.filestore) and backups (diary.ops.backup).

Segment i is sealed under the nonce prefix ‖ i ‖ a last-segment flag (12 bytes in all), with the
stream's header as associated data. So a changed, reordered, dropped or added segment, a stream
cut short at a segment boundary, and a header taken from another stream all fail a tag check,
and no plaintext is handed out from a segment before its tag has checked.

Two framings, fixed by each format: segments of one size back to back, the last one shorter
(stored files); or each segment prefixed by its length in four bytes (backups).
"""

import io
from collections.abc import Callable
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAG = 16
NONCE = 12
LENGTH = 4


class Sealer:
    """Seals (or opens) a stream's segments in order, counting them."""

    def __init__(self, key: bytes, header: bytes, prefix: bytes = b"") -> None:
        self._cipher = AESGCM(key)
        self._header = header
        self._prefix = prefix
        self._index_bytes = NONCE - 1 - len(prefix)
        self._index = 0

    def _nonce(self, final: bool) -> bytes:
        index = self._index.to_bytes(self._index_bytes, "big")
        return self._prefix + index + (b"\x01" if final else b"\x00")

    def seal(self, segment: bytes, *, final: bool) -> bytes:
        sealed = self._cipher.encrypt(self._nonce(final), segment, self._header)
        self._index += 1
        return sealed

    def open(self, sealed: bytes, *, final: bool) -> bytes:
        """The segment's plaintext; InvalidTag if it is not the one sealed at this place."""
        segment = self._cipher.decrypt(self._nonce(final), sealed, self._header)
        self._index += 1
        return segment


def read_exact(handle: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes: fewer only at the end (some streams return short reads)."""
    parts, wanted = [], size
    while wanted:
        part = handle.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


class SealedWriter(io.RawIOBase):
    """A write-only stream: what is written goes out sealed, a segment at a time. The last
    segment is held back until `finish`, which alone knows that it is the last."""

    def __init__(
        self, out: IO[bytes], sealer: Sealer, *, segment: int, length_prefixed: bool
    ) -> None:
        super().__init__()
        self._out, self._sealer = out, sealer
        self._segment, self._length_prefixed = segment, length_prefixed
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def _emit(self, segment: bytes, final: bool) -> None:
        sealed = self._sealer.seal(segment, final=final)
        if self._length_prefixed:
            self._out.write(len(sealed).to_bytes(LENGTH, "big"))
        self._out.write(sealed)

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > self._segment:
            self._emit(bytes(self._buffer[: self._segment]), final=False)
            del self._buffer[: self._segment]
        return len(data)

    def finish(self) -> None:
        """Seal what is left as the last segment (an empty one, if nothing is left)."""
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()


class SealedReader(io.RawIOBase):
    """The plaintext of a sealed stream, opened a segment at a time as it is read. Reading
    past a segment that does not open raises what `broken()` makes, never returns bytes."""

    def __init__(
        self,
        source: IO[bytes],
        sealer: Sealer,
        *,
        segment: int,
        length_prefixed: bool,
        broken: Callable[[], Exception],
    ) -> None:
        super().__init__()
        self._source, self._sealer = source, sealer
        self._segment, self._length_prefixed = segment, length_prefixed
        self._broken = broken
        self._plain = memoryview(b"")
        self._next = self._frame()
        self.finished = False

    def readable(self) -> bool:
        return True

    def _frame(self) -> bytes:
        """The next sealed segment as framed, b"" at the end of the stream."""
        if not self._length_prefixed:
            return read_exact(self._source, self._segment + TAG)
        length_bytes = read_exact(self._source, LENGTH)
        if not length_bytes:
            return b""
        length = int.from_bytes(length_bytes, "big")
        if len(length_bytes) < LENGTH or not TAG <= length <= self._segment + TAG:
            raise self._broken()
        sealed = read_exact(self._source, length)
        if len(sealed) < length:
            raise self._broken()
        return sealed

    def _advance(self) -> None:
        current = self._next
        full = len(current) == self._segment + TAG
        self._next = self._frame() if full or self._length_prefixed else b""
        final = not self._next
        try:
            self._plain = memoryview(self._sealer.open(current, final=final))
        except InvalidTag:
            raise self._broken() from None
        self.finished = final

    def readinto(self, buffer: Any) -> int:
        while not self._plain and not self.finished:
            self._advance()
        count = min(len(buffer), len(self._plain))
        buffer[:count] = self._plain[:count]
        self._plain = self._plain[count:]
        return count

    def drain(self) -> None:
        """Open every segment left, so the whole stream (its last tag above all) is checked."""
        while not self.finished:
            self._plain = memoryview(b"")
            self._advance()

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()
