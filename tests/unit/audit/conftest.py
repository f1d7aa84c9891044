"""The audit tests import the sample report as ``audit_sample`` (tests/support/audit_sample.py): its directory is put
on sys.path here, since ``support`` is already tests/support.py."""

from __future__ import annotations

import sys
from pathlib import Path

SUPPORT = str(Path(__file__).resolve().parents[2] / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
