"""Building zip bombs shaped like .xlsx workbooks for the tests (no tests here).

A bomb is small on disk and huge inflated. Compressing a gigabyte takes zlib 10-30 s, so the
repeated part is compressed once: a full flush ends a deflate block byte-aligned with the window
reset, so the compressed form of the same block is the same every time and can be written N times.
The zip itself is written by hand (local headers, central directory, end record) because
``zipfile`` compresses what it is given.
"""

import struct
import zlib
from xml.sax.saxutils import escape

from apps.catalog.spec import TypeSpec

MB = 1024 * 1024
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class Member:
    """One zip member: its deflated bytes, CRC and inflated size, built piece by piece."""

    def __init__(self, name: str):
        self.name = name
        self._zip = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.parts: list[bytes] = []
        self.crc = 0
        self.size = 0

    def add(self, data: bytes, times: int = 1) -> "Member":
        once = self._zip.compress(data) + self._zip.flush(zlib.Z_FULL_FLUSH)
        if times > 1:
            again = self._zip.compress(data) + self._zip.flush(zlib.Z_FULL_FLUSH)
            assert again == once or not once  # the premise above: same block after a full flush, same bytes
            self.parts.append(once)
            self.parts.extend([again] * (times - 1))
        else:
            self.parts.append(once)
        for _ in range(times):
            self.crc = zlib.crc32(data, self.crc)
        self.size += len(data) * times
        return self

    def finish(self) -> "Member":
        self.parts.append(self._zip.flush(zlib.Z_FINISH))
        return self

    @property
    def compressed_size(self) -> int:
        return sum(len(p) for p in self.parts)


def write_zip(path, members: list[Member]) -> None:
    central = []
    with open(path, "wb") as out:
        for m in members:
            name = m.name.encode()
            offset = out.tell()
            header = (0x04034B50, 20, 0x800, 8, 0, 0x21, m.crc, m.compressed_size, m.size, len(name), 0)
            out.write(struct.pack("<IHHHHHIIIHH", *header) + name)
            for part in m.parts:
                out.write(part)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    *(0x02014B50, 20, 20, 0x800, 8, 0, 0x21, m.crc, m.compressed_size, m.size, len(name)),
                    *(0, 0, 0, 0, 0, offset),
                )
                + name
            )
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0))


def _small(name: str, text: str) -> Member:
    return Member(name).add(text.encode()).finish()


def _package(workbook: Member, sheet: Member, shared: Member | None) -> list[Member]:
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    shared_type = ""
    if shared is not None:
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        shared_type = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
    members = [
        _small(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>{shared_type}</Types>',
        ),
        _small(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        ),
        _small("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>'),
        workbook,
        sheet,
    ]
    return members + ([shared] if shared is not None else [])


def _workbook(padding: int = 0) -> Member:
    member = Member("xl/workbook.xml").add(
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL}">'
        '<sheets><sheet name="行政处罚" sheetId="1" r:id="rId1"/></sheets>'.encode()
    )
    if padding:
        member.add(b"<x/>" * (MB // 4), times=padding // MB)
    return member.add(b"</workbook>").finish()


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _header_row() -> str:
    from apps.records.intake.xlsx_source import column_letters

    labels = [f.label for f in TypeSpec.load("penalty").fields]
    return '<row r="1">' + "".join(_inline(f"{column_letters(i)}1", t) for i, t in enumerate(labels)) + "</row>"


def _sheet(rows: str = "") -> Member:
    return _small("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{NS}"><sheetData>{rows}</sheetData></worksheet>')


def workbook_bomb(path, inflated: int) -> None:
    """``workbook.xml`` padded with empty elements to ``inflated`` bytes."""
    write_zip(path, _package(_workbook(inflated), _sheet(_header_row()), None))


def cell_bomb(path, inflated: int) -> None:
    """A penalty sheet whose first data cell holds ``inflated`` bytes of text."""
    sheet = Member("xl/worksheets/sheet1.xml").add(
        f'<worksheet xmlns="{NS}"><sheetData>{_header_row()}<row r="2"><c r="A2" t="inlineStr"><is><t>'.encode()
    )
    sheet.add(b"A" * MB, times=inflated // MB).add(b"</t></is></c></row></sheetData></worksheet>").finish()
    write_zip(path, _package(_workbook(), sheet, None))


def shared_strings_bomb(path, inflated: int) -> None:
    """A penalty sheet whose header is in the shared-strings table, followed by ``inflated`` bytes of
    one-letter strings (each a Python object in a reader that holds the table)."""
    from apps.records.intake.xlsx_source import column_letters

    labels = [f.label for f in TypeSpec.load("penalty").fields]
    cells = "".join(f'<c r="{column_letters(i)}1" t="s"><v>{i}</v></c>' for i in range(len(labels)))
    shared = Member("xl/sharedStrings.xml").add(
        f'<sst xmlns="{NS}">{"".join(f"<si><t>{escape(t)}</t></si>" for t in labels)}'.encode()
    )
    block = b"<si><t>A</t></si>" * (MB // 16)
    shared.add(block, times=-(-inflated // len(block))).add(b"</sst>").finish()
    write_zip(path, _package(_workbook(), _sheet(f'<row r="1">{cells}</row>'), shared))


def long_cell_xlsx(path, chars: int) -> None:
    """A normal-sized penalty sheet with one data cell of ``chars`` characters."""
    write_zip(
        path,
        _package(_workbook(), _sheet(_header_row() + '<row r="2">' + _inline("B2", "长" * chars) + "</row>"), None),
    )
