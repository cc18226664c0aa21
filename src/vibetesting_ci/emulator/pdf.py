"""A tiny pure-Python PDF writer: Helvetica text pages, and big filler PDFs streamed in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

PAGE_WIDTH = 612  # US Letter, points
PAGE_HEIGHT = 792
MARGIN = 54
FONT_SIZE = 11
LEADING = 15
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING
MAX_LINE_CHARS = 95

_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    out = bytearray()
    for byte in raw:
        if byte in (0x28, 0x29, 0x5C):  # ( ) backslash
            out += b"\\" + bytes([byte])
        elif byte < 0x20:
            out += b" "
        else:
            out.append(byte)
    return bytes(out)


def _wrap(line: str) -> list[str]:
    line = line.replace("\t", "    ").rstrip()
    if len(line) <= MAX_LINE_CHARS:
        return [line]
    pieces = []
    while len(line) > MAX_LINE_CHARS:
        cut = line.rfind(" ", 0, MAX_LINE_CHARS)
        if cut <= MAX_LINE_CHARS // 2:
            cut = MAX_LINE_CHARS
        pieces.append(line[:cut])
        line = "    " + line[cut:].lstrip()
    pieces.append(line)
    return pieces


def _assemble(objects: Sequence[bytes]) -> bytes:
    """Join numbered objects (1..n, object 1 the catalog) into a complete PDF file."""
    out = bytearray(_HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf(lines: Sequence[str], title: str = "") -> bytes:
    """A valid PDF showing ``lines`` (wrapped and paginated); opens in any PDF reader."""
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(_wrap(line))
    pages = [
        wrapped[i : i + LINES_PER_PAGE] for i in range(0, max(len(wrapped), 1), LINES_PER_PAGE)
    ] or [[]]
    # 1 catalog, 2 pages, 3 font, 4 info, then (page, content) pairs.
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /Producer (vibetesting-ci emulator) >>" % _escape(title),
    ]
    for index, page_lines in enumerate(pages):
        content = bytearray(
            b"BT\n/F1 %d Tf\n%d TL\n%d %d Td\n"
            % (FONT_SIZE, LEADING, MARGIN, PAGE_HEIGHT - MARGIN - FONT_SIZE)
        )
        for line in page_lines:
            content += b"(" + _escape(line) + b") Tj T*\n"
        content += b"ET"
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, first_page + 2 * index + 1)
        )
        objects.append(_stream(bytes(content)))
    pdf = _assemble(objects)
    # The trailer gets /Info for the title.
    return pdf.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Info 4 0 R >>", 1)


class BigPdf:
    """A valid one-page PDF of exactly ``size`` bytes whose bulk is an unused filler stream.

    ``chunks()`` yields it piece by piece, so serving gigabytes never holds them in memory.
    """

    def __init__(self, size: int) -> None:
        page = text_pdf(["VibeTesting emulator: large report for download tests."])
        # Reuse the small document's objects and add one filler object before the xref.
        body_end = page.index(b"xref\n")
        self._prefix_objects = page[:body_end]
        self._object_count = page.count(b" 0 obj\n")
        self._filler_number = self._object_count + 1
        self._filler_head = b"%d 0 obj\n" % self._filler_number
        self._offsets = _object_offsets(page[:body_end])
        minimum = len(self._prefix_objects) + 200 + len(self._filler_head)
        if size < minimum + 1024:
            raise ValueError(f"a big PDF must be at least {minimum + 1024} bytes")
        self.size = size
        # Solve for the filler length: the tail's digits depend on it, so iterate to a fixpoint.
        filler = size - minimum
        for _ in range(10):
            head = self._filler_head + b"<< /Length %d >>\nstream\n" % filler
            tail = self._tail(filler, head)
            new = size - len(self._prefix_objects) - len(head) - len(tail)
            if new == filler:
                break
            filler = new
        self.filler = filler
        self._head = self._filler_head + b"<< /Length %d >>\nstream\n" % filler
        self._tail_bytes = self._tail(filler, self._head)
        assert len(self._prefix_objects) + len(self._head) + filler + len(self._tail_bytes) == size

    def _tail(self, filler: int, head: bytes) -> bytes:
        filler_at = len(self._prefix_objects)
        end_stream = b"\nendstream\nendobj\n"
        xref_at = filler_at + len(head) + filler + len(end_stream)
        offsets = [*self._offsets, filler_at]
        out = bytearray(end_stream)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1)
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(out)

    def chunks(self, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        yield self._prefix_objects + self._head
        line = b"% vibetesting emulator filler " + b"." * 33 + b"\n"  # 64 bytes
        block = line * (chunk_size // len(line))
        remaining = self.filler
        while remaining > 0:
            piece = block if remaining >= len(block) else block[:remaining]
            remaining -= len(piece)
            yield piece
        yield self._tail_bytes


def _object_offsets(data: bytes) -> list[int]:
    offsets: list[int] = []
    number = 1
    while True:
        marker = b"\n%d 0 obj\n" % number
        at = data.find(marker)
        if at < 0:
            return offsets
        offsets.append(at + 1)
        number += 1
