"""The lab archive's reader: an age identity on the controller, whose public key the archive encrypts to.

The private key stays in the lab's cache (``.cache/lab/archive-identity.txt``, mode 0600), never in
the inventory and never on an archive host, as a real site keeps its readers' keys off the archive:
the tests and ``tier3 archive fetch --identity`` read it there. Made once by ``age-keygen``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tier3.errors import LabError

SOURCE = "tier3 lab"
FILE = "archive-identity.txt"


def identity_path(cache_dir: Path) -> Path:
    return cache_dir / FILE


def public_key(cache_dir: Path) -> str:
    """The public key (age1...) of the lab's archive reader, making the identity first when there is none."""
    if shutil.which("age-keygen") is None:
        raise LabError(SOURCE, "age-keygen", "age is not installed", hint="apt-get install age (or run `make setup`)")
    path = identity_path(cache_dir)
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["age-keygen", "-o", str(path)], capture_output=True, check=True)  # writes it mode 0600
    done = subprocess.run(["age-keygen", "-y", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabError(SOURCE, str(path), f"not an age identity: {done.stderr.strip()}",
                       hint=f"remove {path}; the next `tier3 lab up` makes a new one")
    return done.stdout.strip()
