"""Files in VAR_DIR that only the installation's user may read (the secret key, the first
admin's password)."""

import os
import tempfile
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """`text` in `path`, readable by its owner alone from the first byte on (mkstemp's 0600:
    a chmod after writing leaves a moment when anyone may read it), and whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)
