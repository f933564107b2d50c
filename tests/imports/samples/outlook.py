"""An Outlook .msg file made here: nothing in the kept libraries writes one (extract-msg and
olefile only read). A .msg is a Compound File (MS-CFB, version 3: 512-byte sectors, streams
under 4096 bytes in the 64-byte mini stream) holding the properties MS-OXMSG names: strings
as UTF-16 streams `__substg1.0_<id><type>`, fixed-size values in `__properties_version1.0`,
a storage for each recipient and each attachment. Only what a received message carries."""

import itertools
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.imports.samples.mail import Sample

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class Node:
    name: str
    data: bytes | None = None  # None: a storage
    children: list["Node"] = field(default_factory=list)
    id: int = 0
    start: int = END
    right: int = NOSTREAM  # the next sibling


def compound_file(root_children: list[Node]) -> bytes:
    root = Node("Root Entry", None, root_children)
    entries: list[Node] = []

    def number(node: Node) -> None:
        node.id = len(entries)
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    mini_stream = bytearray()
    mini_fat: list[int] = []
    big = [node for node in entries if node.data is not None and len(node.data) >= CUTOFF]
    for node in entries:
        if node.data is not None and 0 < len(node.data) < CUTOFF:
            count = -(-len(node.data) // MINI)
            node.start = len(mini_fat)
            mini_fat.extend(range(node.start + 1, node.start + count))
            mini_fat.append(END)
            mini_stream += node.data.ljust(count * MINI, b"\0")

    def sectors(size: int) -> int:
        return -(-size // SECTOR)

    dir_count = sectors(len(entries) * 128)
    minifat_count = sectors(len(mini_fat) * 4)
    ministream_count = sectors(len(mini_stream))
    big_counts = [sectors(len(node.data or b"")) for node in big]
    payload = dir_count + minifat_count + ministream_count + sum(big_counts)
    fat_count = 1
    while fat_count * (SECTOR // 4) < payload + fat_count:
        fat_count += 1
    fat: list[int] = [FATSECT] * fat_count

    def chain(count: int) -> int:
        first = len(fat)
        fat.extend(range(first + 1, first + count))
        fat.append(END)
        return first

    dir_start = chain(dir_count)
    minifat_start = chain(minifat_count) if minifat_count else END
    root.start = chain(ministream_count) if ministream_count else END
    for node, count in zip(big, big_counts, strict=True):
        node.start = chain(count)
    fat.extend([FREE] * (fat_count * (SECTOR // 4) - len(fat)))

    directory = bytearray()
    for node in entries:
        directory += _entry(node, len(mini_stream) if node is root else None)
    while len(directory) % SECTOR:
        directory += _empty_entry()

    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIIII", header, 0,
                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
                     bytes(6), 0, fat_count, dir_start, 0, CUTOFF, minifat_start,
                     minifat_count, END, 0, 0)  # fmt: skip
    difat = list(range(fat_count)) + [FREE] * (109 - fat_count)
    struct.pack_into("<109I", header, 76, *difat)

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    out += struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(minifat_count * SECTOR, b"\xff")
    out += bytes(mini_stream).ljust(ministream_count * SECTOR, b"\0")
    for node, count in zip(big, big_counts, strict=True):
        out += (node.data or b"").ljust(count * SECTOR, b"\0")
    return bytes(out)


def _key(node: Node) -> tuple[int, str]:
    return (len(node.name), node.name.upper())  # MS-CFB's order: length, then case-blind


def _entry(node: Node, root_size: int | None) -> bytes:
    children = sorted(node.children, key=_key)
    # Siblings as a chain to the right (a valid, if lopsided, tree).
    for left, right in itertools.pairwise(children):
        left.right = right.id
    name = node.name.encode("utf-16-le") + b"\0\0"
    kind = 5 if root_size is not None else (1 if node.data is None else 2)
    size = root_size if root_size is not None else len(node.data or b"")
    start = node.start if size else END
    if node.data is None and root_size is None:
        start, size = 0, 0
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        kind,
        1,
        NOSTREAM,
        node.right,
        children[0].id if children else NOSTREAM,
        bytes(16),
        0,
        0,
        0,
        start,
        size,
    )


def _empty_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                       bytes(16), 0, 0, 0, 0, 0)  # fmt: skip


def _text(prop: str, value: str) -> Node:
    return Node(f"__substg1.0_{prop}001F", value.encode("utf-16-le"))


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _props(header: bytes, fixed: list[tuple[int, int]]) -> Node:
    body = b"".join(struct.pack("<IIQ", tag, 6, value) for tag, value in fixed)
    return Node("__properties_version1.0", header + body)


def msg_bytes(sample: Sample, headers: str) -> bytes:
    """The sample as Outlook saves a received message: `headers` is the transport header
    block it keeps (From, Date, Message-ID, the Received chain)."""
    recipients = [
        Node(
            f"__recip_version1.0_#{number:08X}",
            None,
            [
                _props(bytes(8), [(0x0C150003, 1), (0x30000003, number)]),
                _text("3001", address),
                _text("3003", address),
                _text("39FE", address),
                _text("3002", "SMTP"),
            ],
        )
        for number, address in enumerate(sample.to)
    ]
    attachments = [
        Node(
            f"__attach_version1.0_#{number:08X}",
            None,
            [
                _props(bytes(8), [(0x37050003, 1), (0x0E210003, number)]),
                Node("__substg1.0_37010102", data),
                _text("3707", name),
                _text("3704", name[:8]),
                _text("3703", "." + name.rpartition(".")[2]),
                _text("370E", kind),
            ],
        )
        for number, (name, kind, data) in enumerate(sample.attachments)
    ]
    top = struct.pack("<8sIIII8s", bytes(8), len(recipients), len(attachments),
                      len(recipients), len(attachments), bytes(8))  # fmt: skip
    root = [
        _props(
            top,
            [
                (0x00390040, _filetime(sample.sent_at)),
                (0x0E070003, 1),
                (0x0E060040, _filetime(sample.sent_at)),
            ],
        ),
        _text("001A", "IPM.Note"),
        _text("0037", sample.subject),
        _text("0C1A", sample.sender_name),
        _text("0C1F", sample.sender),
        _text("5D01", sample.sender),
        _text("0C1E", "SMTP"),
        _text("1000", sample.text),
        _text("1035", sample.message_id),
        _text("0E04", "; ".join(sample.to)),
        _text("007D", headers),
        Node(
            "__nameid_version1.0",
            None,
            [
                Node("__substg1.0_00020102", b""),
                Node("__substg1.0_00030102", b""),
                Node("__substg1.0_00040102", b""),
            ],
        ),
        *recipients,
        *attachments,
    ]
    return compound_file(root)
