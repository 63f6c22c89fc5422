"""Diameter <-> volume of a sphere, the convention linking RECIST diameters to growth laws.

V = (pi/6) d^3 (Benzekry et al. 2014 PLOS Comput Biol 10:e1003800; Laleh et al. 2022 PLOS Comput
Biol 18:e1009822 use 0.52 ~ pi/6). Diameters in mm, volumes in mm^3.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sphere_volume(d_mm: Any) -> np.ndarray:
    """Volume (mm^3) of a sphere of diameter ``d_mm``: (pi/6) d^3."""
    return (np.pi / 6.0) * np.asarray(d_mm, dtype=float) ** 3


def sphere_diameter(v_mm3: Any) -> np.ndarray:
    """Diameter (mm) of a sphere of volume ``v_mm3`` (inverse of :func:`sphere_volume`)."""
    return np.cbrt(np.asarray(v_mm3, dtype=float) * (6.0 / np.pi))
