"""ECharts options as images, server-side: the same option dicts the web page draws become SVG and PNG for
the PDF and Word reports (docs/navigation.md, "Reports").

ECharts' own server-side rendering (``echarts.init(null, null, {renderer: 'svg', ssr: true})`` and
``renderToSVGString()``) runs in V8 embedded in the process (the PyPI package ``mini-racer``: no node, no
browser) over the vendored ``web/static/vendor/echarts/echarts.min.js``; the SVG becomes PNG with resvg
(``resvg-py``, Rust, no system library), given the CJK font file so that Chinese labels render
(WenQuanYi Micro Hei, the Debian package fonts-wqy-microhei that scripts/setup_system.sh installs).

Measured on this machine (bench/navigation_report.py prints it): loading ECharts into V8 ~0.25–0.5 s once
per process, then ~10–25 ms per chart to SVG and ~60–190 ms per chart to PNG at 2× (800×400 → 1600×800);
cairosvg took ~0.18 s for a PNG resvg drew in ~0.1 s and needs the system's cairo; node, one process per
chart, ~240–390 ms.

One V8 context serves the process, behind a lock (V8 contexts are single-threaded); charts are drawn one
at a time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ipcockpit.errors import IPCockpitError

ECHARTS = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "echarts" / "echarts.min.js"
#: TrueType CJK fonts tried in order (the same files the PDF reports embed)
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")
CJK_FAMILY = "WenQuanYi Micro Hei"
WIDTH, HEIGHT = 800, 400
_RENDER = """(function (o, w, h) {
  var c = echarts.init(null, null, {renderer: 'svg', ssr: true, width: w, height: h});
  try { c.setOption(o); return c.renderToSVGString(); } finally { c.dispose(); }
})"""


class ChartImageError(IPCockpitError):
    """A chart could not be drawn: the option, the engine or a library is at fault."""


class _Engine:
    """One V8 context with ECharts loaded, used under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ctx: Any = None

    def svg(self, option: Mapping[str, Any], width: int, height: int) -> str:
        with self._lock:
            if self._ctx is None:
                try:
                    from py_mini_racer import MiniRacer
                except ImportError as exc:  # pragma: no cover - a dependency of the package
                    raise ChartImageError("charts as images need mini-racer: pip install mini-racer") from exc
                ctx = MiniRacer()
                ctx.eval(ECHARTS.read_text(encoding="utf-8"))
                self._ctx = ctx
            payload = json.dumps({**option, "animation": False}, ensure_ascii=False, default=str)
            try:
                return str(self._ctx.eval(f"{_RENDER}({payload}, {int(width)}, {int(height)})"))
            except Exception as exc:  # the JS engine's errors (a bad option)
                raise ChartImageError(f"ECharts could not draw the chart: {exc}") from exc


_ENGINE = _Engine()


@cache
def cjk_font_file() -> str | None:
    """The CJK font file that PNGs use, or None when none is installed (Chinese then renders as boxes:
    install fonts-wqy-microhei)."""
    return next((p for p in CJK_FONT_FILES if Path(p).exists()), None)


def to_svg(option: Mapping[str, Any], width: int = WIDTH, height: int = HEIGHT) -> str:
    """The ECharts ``option`` drawn as an SVG document of ``width``×``height`` pixels (no animation)."""
    return _ENGINE.svg(option, width, height)


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """An SVG document as PNG at ``scale`` times its size, white background, CJK text in the CJK font."""
    import resvg_py

    font = cjk_font_file()
    fonts: dict[str, Any] = ({"font_family": CJK_FAMILY, "sans_serif_family": CJK_FAMILY, "skip_system_fonts": True}
                             if font else {})
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=scale, background="#ffffff",
                                           font_files=[font] if font else None, **fonts))
    except ValueError as exc:
        raise ChartImageError(f"the chart's SVG could not be drawn as PNG: {exc}") from exc


def to_png(option: Mapping[str, Any], width: int = WIDTH, height: int = HEIGHT, scale: float = 2.0) -> bytes:
    """The ECharts ``option`` as a PNG image (``width``×``height`` CSS pixels at ``scale``)."""
    return svg_to_png(to_svg(option, width, height), scale)
