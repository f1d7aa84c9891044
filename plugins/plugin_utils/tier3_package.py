# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Where the collection's action plugins find the tier3 package, in one place.

The one beside plugins/ when there is one (tools/tier3: this checkout's, or the copy
`ansible-galaxy collection build` puts in the collection), so the plugins and the library are of
one version wherever the collection is installed; else the tier3 installed in the Python that runs
Ansible (`pip install tier3`).
"""

from __future__ import annotations

import sys
from pathlib import Path

BUNDLED = Path(__file__).resolve().parents[2] / "tools"  # <collection or checkout>/tools/tier3


def use_bundled() -> None:
    """Put the bundled tier3 first on the import path (once)."""
    if (BUNDLED / "tier3" / "__init__.py").is_file() and str(BUNDLED) not in sys.path:
        sys.path.insert(0, str(BUNDLED))


def missing(exc: ImportError) -> str:
    """What a plugin says when tier3 (or a dependency of it) cannot be imported."""
    return (
        f"the tier3 Python package cannot be imported ({exc}): install the collection from the tarball "
        "`ansible-galaxy collection build` makes (it ships tier3 under tools/), or `pip install tier3` "
        "into the Python that runs Ansible"
    )
