"""Colour arithmetic for accessibility checks: WCAG contrast and colour-vision simulation.

Used by the tests (and the accessibility statement) to show that the status colours keep
their contrast on white and stay apart for people with deuteranopia or protanopia:
simulation by Machado, Oliveira & Fernandes (2009) at full severity, distance as CIE76 ΔE
in CIELAB (D65).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

WHITE = "#FFFFFF"
# Machado et al. 2009, severity 1.0, applied to linear RGB.
SIMULATIONS: dict[str, tuple[tuple[float, ...], ...] | None] = {
    "通常": None,
    "1型（P型）": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "2型（D型）": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _linear(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (_linear(c) for c in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = WHITE) -> float:
    """WCAG 2 contrast ratio (1–21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _lab(linear: Sequence[float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in linear)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def lab(hex_colour: str, vision: str = "通常") -> tuple[float, float, float]:
    """CIELAB of the colour as seen with ``vision`` (a key of SIMULATIONS)."""
    lin = [_linear(c) for c in rgb(hex_colour)]
    m = SIMULATIONS[vision]
    if m is not None:
        lin = [sum(m[i][k] * lin[k] for k in range(3)) for i in range(3)]
    return _lab(lin)


def delta_e(a: str, b: str, vision: str = "通常") -> float:
    """CIE76 ΔE between two colours as seen with ``vision``."""
    return math.dist(lab(a, vision), lab(b, vision))
