"""Content-stream interpreter: every shown glyph with its text, advance, position and origin.

Each glyph remembers which stream (page or Form XObject), which instruction, which TJ array
item and which bytes produced it, so a match found on the extracted text can be removed from
the stream it came from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pikepdf

from .fonts import FontInfo, load_font

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Box = tuple[float, float, float, float]
MAX_FORM_DEPTH = 12
ASCENT, DESCENT = 0.9, -0.25


def mult(m1: Matrix, m2: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def _matrix(values: object) -> Matrix:
    nums = [float(v) for v in values]  # type: ignore[attr-defined]
    return (nums[0], nums[1], nums[2], nums[3], nums[4], nums[5])


@dataclass
class StreamRef:
    """A content stream being interpreted and, later, rewritten."""

    owner: pikepdf.Object
    instructions: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage]
    is_page: bool


@dataclass
class Glyph:
    stream: int
    op: int
    item: int
    start: int
    end: int
    code: int
    text: str | None
    advance: float  # thousandths of text space: the TJ number that replaces this glyph is -advance
    box: Box
    origin: tuple[float, float]
    next_origin: tuple[float, float]
    direction: tuple[float, float]
    size: float
    invisible: bool
    font: FontInfo


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    tc: float = 0.0
    tw: float = 0.0
    th: float = 1.0
    tl: float = 0.0
    font: FontInfo | None = None
    tfs: float = 0.0
    ts: float = 0.0
    tr: int = 0


@dataclass
class PageContent:
    """What one page shows, in content order."""

    glyphs: list[Glyph] = field(default_factory=list)
    image_area: float = 0.0
    images: list[Box] = field(default_factory=list)  # user-space bounding box of each image shown
    unmappable: bool = False
    type3: bool = False


class Registry:
    """Streams and fonts shared by all pages of one document (a Form XObject is parsed once)."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.streams: list[StreamRef] = []
        self._stream_index: dict[object, int] = {}
        self.fonts: dict[object, tuple[FontInfo, pikepdf.Object]] = {}

    def stream_for(self, owner: pikepdf.Object, is_page: bool) -> int:
        key = ("page" if is_page else "form", owner.objgen if owner.is_indirect else id(owner))
        if key not in self._stream_index:
            self._stream_index[key] = len(self.streams)
            self.streams.append(StreamRef(owner, list(pikepdf.parse_content_stream(owner)), is_page))
        return self._stream_index[key]

    def font(self, font: pikepdf.Object) -> FontInfo:
        key = font.objgen if font.is_indirect else id(font)
        if key not in self.fonts:
            self.fonts[key] = (load_font(font), font)
        return self.fonts[key][0]


class Interpreter:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def page(self, page: pikepdf.Page) -> PageContent:
        content = PageContent()
        stream = self.registry.stream_for(page.obj, is_page=True)
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        self._run(stream, resources, IDENTITY, content, 0)
        return content

    def _run(self, stream: int, resources: pikepdf.Object, ctm: Matrix, out: PageContent, depth: int) -> None:
        state = _State(ctm=ctm)
        stack: list[_State] = []
        tm = tlm = IDENTITY
        for idx, instruction in enumerate(self.registry.streams[stream].instructions):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                _image(state.ctm, out)
                continue
            op = str(instruction.operator)
            args = instruction.operands
            if op == "q":
                stack.append(replace(state))
            elif op == "Q" and stack:
                state = stack.pop()
            elif op == "cm":
                state.ctm = mult(_matrix(args), state.ctm)
            elif op == "BT":
                tm = tlm = IDENTITY
            elif op == "Tf":
                state.font = self._font(resources, args[0], out)
                state.tfs = float(args[1])
            elif op in ("Tc", "Tw", "Tz", "TL", "Ts", "Tr"):
                self._text_param(state, op, float(args[0]))
            elif op in ("Td", "TD"):
                if op == "TD":
                    state.tl = -float(args[1])
                tlm = mult((1, 0, 0, 1, float(args[0]), float(args[1])), tlm)
                tm = tlm
            elif op == "Tm":
                tm = tlm = _matrix(args)
            elif op == "T*":
                tlm = mult((1, 0, 0, 1, 0, -state.tl), tlm)
                tm = tlm
            elif op in ("Tj", "'", '"', "TJ"):
                if op in ("'", '"'):
                    if op == '"':
                        state.tw, state.tc = float(args[0]), float(args[1])
                    tlm = mult((1, 0, 0, 1, 0, -state.tl), tlm)
                    tm = tlm
                items = list(args[0]) if op == "TJ" else [args[-1]]
                tm = self._show(stream, idx, items, state, tm, out)
            elif op == "Do":
                self._do(resources, args[0], state, out, depth)
        return

    @staticmethod
    def _text_param(state: _State, op: str, value: float) -> None:
        if op == "Tc":
            state.tc = value
        elif op == "Tw":
            state.tw = value
        elif op == "Tz":
            state.th = value / 100.0
        elif op == "TL":
            state.tl = value
        elif op == "Ts":
            state.ts = value
        else:
            state.tr = int(value)

    def _font(self, resources: pikepdf.Object, name: pikepdf.Object, out: PageContent) -> FontInfo | None:
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        font = fonts.get(str(name)) if isinstance(fonts, pikepdf.Dictionary) else None
        if not isinstance(font, pikepdf.Dictionary):
            out.unmappable = True
            return None
        info = self.registry.font(font)
        if info.type3:
            out.type3 = True
        return info

    def _show(
        self, stream: int, idx: int, items: Sequence[object], state: _State, tm: Matrix, out: PageContent
    ) -> Matrix:
        font = state.font
        for item_index, item in enumerate(items):
            if isinstance(item, pikepdf.String):
                if font is None:
                    out.unmappable = True
                    continue
                for code, start, end in font.split(bytes(item)):
                    tm = self._glyph(stream, idx, item_index, code, start, end, state, font, tm, out)
            else:
                shift = -float(item) / 1000.0 * state.tfs * state.th  # type: ignore[arg-type]
                tm = mult((1, 0, 0, 1, shift, 0), tm)
        return tm

    def _glyph(
        self,
        stream: int,
        idx: int,
        item: int,
        code: int,
        start: int,
        end: int,
        state: _State,
        font: FontInfo,
        tm: Matrix,
        out: PageContent,
    ) -> Matrix:
        w0 = font.width(code) / 1000.0
        word_space = state.tw if (not font.two_byte and code == 32) else 0.0
        tx = (w0 * state.tfs + state.tc + word_space) * state.th
        trm = mult(tm, state.ctm)
        width = w0 * state.tfs * state.th
        corners = [apply(trm, x, state.ts + y * state.tfs) for x in (0.0, width) for y in (DESCENT, ASCENT)]
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        origin = apply(trm, 0.0, state.ts)
        end_point = apply(trm, 1.0, state.ts)
        direction = (end_point[0] - origin[0], end_point[1] - origin[1])
        scale = math.hypot(trm[2], trm[3]) * abs(state.tfs)
        text = font.text(code)
        if text is None or not font.mappable:
            out.unmappable = True
        denominator = state.tfs * state.th
        out.glyphs.append(
            Glyph(
                stream=stream,
                op=idx,
                item=item,
                start=start,
                end=end,
                code=code,
                text=text,
                advance=tx * 1000.0 / denominator if denominator else 0.0,
                box=(min(xs), min(ys), max(xs), max(ys)),
                origin=origin,
                next_origin=apply(mult(mult((1, 0, 0, 1, tx, 0), tm), state.ctm), 0.0, state.ts),
                direction=direction,
                size=scale,
                invisible=state.tr in (3, 7),
                font=font,
            )
        )
        return mult((1, 0, 0, 1, tx, 0), tm)

    def _do(self, resources: pikepdf.Object, name: pikepdf.Object, state: _State, out: PageContent, depth: int) -> None:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        xobject = xobjects.get(str(name)) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(xobject, pikepdf.Stream):
            return
        subtype = str(xobject.get("/Subtype", ""))
        if subtype == "/Image":
            _image(state.ctm, out)
        elif subtype == "/Form" and depth < MAX_FORM_DEPTH:
            matrix = _matrix(xobject.get("/Matrix", list(IDENTITY)))
            inner = xobject.get("/Resources", resources)
            stream = self.registry.stream_for(xobject, is_page=False)
            self._run(stream, inner, mult(matrix, state.ctm), out, depth + 1)
        elif subtype == "/Form":
            out.unmappable = True


def _area(ctm: Matrix) -> float:
    return abs(ctm[0] * ctm[3] - ctm[1] * ctm[2])


def _image(ctm: Matrix, out: PageContent) -> None:
    """An image fills the unit square of its matrix."""
    out.image_area += _area(ctm)
    corners = [apply(ctm, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    out.images.append((min(xs), min(ys), max(xs), max(ys)))


def page_text(glyphs: list[Glyph]) -> tuple[str, list[int]]:
    """Text of the glyphs in content order, with word and line breaks guessed from positions.

    Returns the text and, per character, the glyph index it came from (-1 for inserted breaks).
    """
    chars: list[str] = []
    owners: list[int] = []
    previous: Glyph | None = None
    for i, glyph in enumerate(glyphs):
        if previous is not None:
            separator = _separator(previous, glyph)
            if separator and chars and not chars[-1].isspace():
                chars.append(separator)
                owners.append(-1)
        for ch in glyph.text if glyph.text is not None else "\ufffd":
            chars.append(ch)
            owners.append(i)
        previous = glyph
    return "".join(chars), owners


def _separator(previous: Glyph, glyph: Glyph) -> str:
    dx, dy = previous.direction
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    vx = glyph.origin[0] - previous.next_origin[0]
    vy = glyph.origin[1] - previous.next_origin[1]
    along = vx * ux + vy * uy
    across = -vx * uy + vy * ux
    size = max(previous.size, glyph.size, 1e-6)
    if abs(across) > 0.5 * size:
        return "\n"
    if along > 0.15 * size or along < -0.5 * size:
        return " "
    return ""
