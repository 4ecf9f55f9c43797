"""The master key that encrypts stored credentials.

It comes from `ML_CONNECTOR_MASTER_KEY` (one Fernet key, or several separated by commas:
the first encrypts, all of them decrypt, so a new key can be rolled out before the old one
is retired), else from a key file, by default `<project>/.ml-connector/master.key`. The file
is created on first use, readable by its owner only; an existing file that others can read
is refused rather than trusted, because anyone who can read it can read every credential.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from ml_connector.engine.errors import StoreError
from ml_connector.engine.redaction import register_secret

ENV_VAR = "ML_CONNECTOR_MASTER_KEY"
KEY_FILE = Path(".ml-connector") / "master.key"


def default_key_path(root: Path) -> Path:
    """Where the key file of the project in `root` lives."""
    return root / KEY_FILE


class MasterKey:
    """One or more Fernet keys: the first encrypts, every one of them decrypts.

    `path` is the key file the keys were read from (None when they came from the
    environment or from code); key rotation rewrites that file.
    """

    def __init__(self, keys: Sequence[str], *, path: Path | None = None, origin: str = "code"):
        if not keys:
            raise StoreError(f"no master key found in {origin}")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise StoreError(
                    f"master key {position} from {origin} is not a valid key: expected 32 "
                    "url-safe base64-encoded bytes (44 characters)") from None
            register_secret(key)
        self.keys: tuple[str, ...] = tuple(keys)
        self.path, self.origin = path, origin
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return f"MasterKey(<{len(self.keys)} key(s) from {self.origin}>)"

    @classmethod
    def generate(cls) -> MasterKey:
        return cls([Fernet.generate_key().decode()])

    @classmethod
    def parse(cls, text: str, *, path: Path | None = None, origin: str = "code") -> MasterKey:
        """Keys from comma-separated text (the env var and key file format)."""
        keys = [part.strip() for part in text.split(",") if part.strip()]
        return cls(keys, path=path, origin=origin)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MasterKey | None:
        text = (os.environ if environ is None else environ).get(ENV_VAR, "")
        return cls.parse(text, origin=f"${ENV_VAR}") if text.strip() else None

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> MasterKey:
        """The key in `path`, generating the file first when it is missing and `create`."""
        if not path.exists():
            if not create:
                raise StoreError(f"the master key file {path} does not exist")
            write_key_file(path, cls.generate(), exclusive=True)
        check_key_file_mode(path)
        return cls.parse(path.read_text(encoding="ascii"), path=path, origin=str(path))

    @classmethod
    def load(cls, root: Path, environ: Mapping[str, str] | None = None) -> MasterKey:
        """The environment's key when set, else the project's key file (created if missing)."""
        return cls.from_env(environ) or cls.from_file(default_key_path(root))

    def with_fallback(self, older: MasterKey) -> MasterKey:
        """This key first, `older`'s keys still accepted for decryption (used while rotating)."""
        keys = list(self.keys) + [k for k in older.keys if k not in self.keys]
        return MasterKey(keys, path=self.path, origin=self.origin)

    def encrypt(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        """The plaintext; raises `cryptography.fernet.InvalidToken` when no key fits."""
        return self._fernet.decrypt(token.encode("ascii"))

    def reencrypt(self, token: str) -> str:
        """`token` encrypted again under the first key (decrypted with any of them)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def check_key_file_mode(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read, write or run."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o177:
        raise StoreError(
            f"the master key file {path} has mode {mode:04o}, which lets others use it; "
            f"restrict it to its owner with `chmod 600 {path}`")


def write_key_file(path: Path, key: MasterKey, *, exclusive: bool = False) -> None:
    """Write `key` to `path` atomically, created with mode 0600 from the first byte.

    The key goes to a temporary file first and is then moved into place, so no reader ever
    sees a half-written key. With `exclusive`, an existing file wins: when two processes
    create the key at once, both end up using the same key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(",".join(key.keys) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        else:
            os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)

