"""A fingerprint of the code and rules that compute answers.

Cached answers and figures are keyed by data and catalog versions, not by the code that
computed them. During a rolling deploy two builds share one Redis: each keeps its entries
under its own fingerprint, so no build ever serves what another one computed.
"""

import hashlib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

# Every package of the application: what any of them computes may be cached. The cached
# figures' encoding, for one, follows the types in models/ and resolvers/.
PACKAGES = ("comptroller", "kernel", "models", "resolvers", "schema")


@cache
def code_fingerprint(policy_path: Path) -> str:
    digest = hashlib.sha256()
    for package in PACKAGES:
        spec = find_spec(package)
        assert spec is not None
        assert spec.submodule_search_locations is not None
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(root)}\n".encode())
            digest.update(path.read_bytes())
    digest.update(policy_path.read_bytes())
    return digest.hexdigest()[:12]
