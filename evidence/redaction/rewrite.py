"""Rewriting content streams without the removed glyphs, and drawing the boxes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pikepdf

from .content import Box, Glyph, StreamRef

# Marked-content properties that carry a second copy of the text (alternate, actual, expansion).
_TEXT_PROPERTIES = ("/ActualText", "/Alt", "/E", "/T")
BOX_MARGIN = 0.5


def rewrite_stream(pdf: pikepdf.Pdf, ref: StreamRef, removals: Sequence[Glyph]) -> None:
    """Write ``ref`` back without the glyphs in ``removals``; always rewritten so its
    marked-content properties are cleaned too."""
    by_op: dict[int, dict[int, list[Glyph]]] = defaultdict(lambda: defaultdict(list))
    for glyph in removals:
        by_op[glyph.op][glyph.item].append(glyph)
    out: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    for index, instruction in enumerate(ref.instructions):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            out.append(instruction)
        elif index in by_op:
            out.extend(_without_glyphs(instruction, by_op[index]))
        else:
            out.append(_clean_marked_content(instruction))
    data = pikepdf.unparse_content_stream(out)
    if ref.is_page:
        # Balanced so the boxes appended afterwards are drawn in default user space.
        ref.owner.Contents = pdf.make_stream(b"q\n" + data + b"\nQ\n")
    else:
        ref.owner.write(data)


def _without_glyphs(
    instruction: pikepdf.ContentStreamInstruction, items: dict[int, list[Glyph]]
) -> list[pikepdf.ContentStreamInstruction]:
    op = str(instruction.operator)
    operands = list(instruction.operands)
    prefix: list[pikepdf.ContentStreamInstruction] = []
    if op == "'":
        prefix = [pikepdf.ContentStreamInstruction([], pikepdf.Operator("T*"))]
    elif op == '"':
        prefix = [
            pikepdf.ContentStreamInstruction([operands[0]], pikepdf.Operator("Tw")),
            pikepdf.ContentStreamInstruction([operands[1]], pikepdf.Operator("Tc")),
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("T*")),
        ]
    shown = list(operands[0]) if op == "TJ" else [operands[-1]]
    array: list[object] = []
    for position, item in enumerate(shown):
        if position in items and isinstance(item, pikepdf.String):
            array.extend(_split(bytes(item), items[position]))
        else:
            array.append(item)
    return [*prefix, pikepdf.ContentStreamInstruction([pikepdf.Array(_merge_numbers(array))], pikepdf.Operator("TJ"))]


def _split(data: bytes, glyphs: list[Glyph]) -> list[object]:
    parts: list[object] = []
    position = 0
    for glyph in sorted(glyphs, key=lambda g: g.start):
        if glyph.start > position:
            parts.append(pikepdf.String(data[position : glyph.start]))
        parts.append(-glyph.advance)
        position = glyph.end
    if position < len(data):
        parts.append(pikepdf.String(data[position:]))
    return parts


def _merge_numbers(items: list[object]) -> list[object]:
    merged: list[object] = []
    for item in items:
        if not isinstance(item, pikepdf.String):
            value = float(item)  # type: ignore[arg-type]
            if merged and isinstance(merged[-1], float):
                merged[-1] = merged[-1] + value
                continue
            merged.append(value)
        else:
            merged.append(item)
    return [round(i, 3) if isinstance(i, float) else i for i in merged]


def _clean_marked_content(instruction: pikepdf.ContentStreamInstruction) -> pikepdf.ContentStreamInstruction:
    if str(instruction.operator) not in ("BDC", "DP"):
        return instruction
    operands = list(instruction.operands)
    changed = False
    for operand in operands:
        if isinstance(operand, pikepdf.Dictionary):
            for key in _TEXT_PROPERTIES:
                if key in operand:
                    del operand[key]
                    changed = True
    return pikepdf.ContentStreamInstruction(operands, instruction.operator) if changed else instruction


def box_operators(boxes: Sequence[Box]) -> bytes:
    """Opaque black rectangles in default user space, drawn after the page content."""
    lines = [b"q", b"0 0 0 rg"]
    for x0, y0, x1, y1 in boxes:
        x, y = x0 - BOX_MARGIN, y0 - BOX_MARGIN
        w, h = x1 - x0 + 2 * BOX_MARGIN, y1 - y0 + 2 * BOX_MARGIN
        lines.append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re f".encode())
    lines.append(b"Q")
    return b"\n".join(lines) + b"\n"
