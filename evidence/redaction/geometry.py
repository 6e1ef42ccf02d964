"""Page geometry: boxes in PDF user space and as the page is seen (rendered, rotated, cropped).

Reviewers draw areas on a rendered page, so an area is given in points from the top-left corner
of the visible page (the CropBox, with the page's /Rotate applied), the same frame as
``pdftoppm`` renders and as the preview shows. The engine works in default user space (origin at
the bottom left of the MediaBox coordinate system, y upwards); this module converts both ways.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pikepdf

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1)
MAX_PAGE_POINTS = 14400.0  # the largest page PDF allows (200 inches)


@dataclass(frozen=True, slots=True)
class Area:
    """A rectangle drawn by hand: page number (from 1) and points from the visible page's top-left corner."""

    page: int
    left: float
    top: float
    right: float
    bottom: float

    def valid(self) -> bool:
        values = (self.left, self.top, self.right, self.bottom)
        if self.page < 1 or not all(math.isfinite(v) for v in values):
            return False
        inside = all(0.0 <= v <= MAX_PAGE_POINTS for v in values)
        return inside and self.right - self.left >= 1.0 and self.bottom - self.top >= 1.0


@dataclass(frozen=True, slots=True)
class PageFrame:
    """The visible rectangle of a page in user space and its clockwise rotation (0, 90, 180, 270)."""

    x0: float
    y0: float
    x1: float
    y1: float
    rotate: int = 0

    @classmethod
    def of(cls, page: pikepdf.Page) -> PageFrame:
        box = page.obj.get("/CropBox") or page.obj.get("/MediaBox") or [0, 0, 612, 792]
        try:
            nums = [float(v) for v in box]
        except (TypeError, ValueError):
            nums = [0.0, 0.0, 612.0, 792.0]
        rotate = int(page.obj.get("/Rotate", 0)) % 360
        return cls(min(nums[0], nums[2]), min(nums[1], nums[3]), max(nums[0], nums[2]), max(nums[1], nums[3]), rotate)

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the page as seen, in points."""
        width, height = self.x1 - self.x0, self.y1 - self.y0
        return (height, width) if self.rotate in (90, 270) else (width, height)

    def to_display(self, box: Box) -> Box:
        """User-space box → (left, top, right, bottom) in points from the visible top-left corner."""
        corners = [self._point_to_display(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return (min(xs), min(ys), max(xs), max(ys))

    def to_user(self, area: Area) -> Box:
        """A drawn area → user-space box (x0, y0, x1, y1)."""
        corners = [self._point_to_user(x, y) for x in (area.left, area.right) for y in (area.top, area.bottom)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return (min(xs), min(ys), max(xs), max(ys))

    def _point_to_display(self, x: float, y: float) -> tuple[float, float]:
        u, v = x - self.x0, self.y1 - y  # unrotated: from the top-left corner, y downwards
        width, height = self.x1 - self.x0, self.y1 - self.y0
        if self.rotate == 90:
            return (height - v, u)
        if self.rotate == 180:
            return (width - u, height - v)
        if self.rotate == 270:
            return (v, width - u)
        return (u, v)

    def _point_to_user(self, dx: float, dy: float) -> tuple[float, float]:
        width, height = self.x1 - self.x0, self.y1 - self.y0
        if self.rotate == 90:
            u, v = dy, height - dx
        elif self.rotate == 180:
            u, v = width - dx, height - dy
        elif self.rotate == 270:
            u, v = width - dy, dx
        else:
            u, v = dx, dy
        return (self.x0 + u, self.y1 - v)


def overlaps(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])
