"""tier3_host.encrypted_volumes: loaded with their locations, and every bad entry an error naming the file, the
key and the fix (the same cerberus schema as the rest of tier3_host, checked by the compiled validator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from declared_support import HOST, declared, redeclared, write_inventory
from tier3.schema import InventorySchemaErrors, load_inventory


def test_volumes_load_with_their_locations(tmp_path: Path) -> None:
    volumes = [{"name": "cryptmd", "device": "/dev/md1", "mount": "/srv/mail"},
               {"name": "cryptmpath", "device": "/dev/disk/by-uuid/0f608e81-32bf-4b2e-a3cd-5058f546b2d4"}]
    host = load_inventory(write_inventory(tmp_path, redeclared(encrypted_volumes=volumes))).topology.host(HOST)
    assert host is not None
    first, second = host.encrypted_volumes
    assert (first.name, first.device, first.mount) == ("cryptmd", "/dev/md1", "/srv/mail")
    assert (second.mount, second.location.key) == ("", "tier3_host.encrypted_volumes[1]")
    assert first.location.file.endswith(f"host_vars/{HOST}.yml")


def test_a_host_without_the_key_has_none(tmp_path: Path) -> None:
    plain = {k: v for k, v in declared().items() if k != "encrypted_volumes"}
    host = load_inventory(write_inventory(tmp_path, plain)).topology.host(HOST)
    assert host is not None
    assert host.encrypted_volumes == ()


@pytest.mark.parametrize(("entry", "key", "message", "fix"), [
    ({"name": "cryptmd"}, "device", "required field", "add `device`"),
    ({"device": "/dev/md1"}, "name", "required field", "add `name`"),
    ({"name": "cryptmd", "device": "md1"}, "device", "value does not match regex", "e.g. /dev/md1"),
    ({"name": "crypt/md", "device": "/dev/md1"}, "name", "value does not match regex", "e.g. cryptmail"),
    ({"name": "cryptmd", "device": "/dev/md1", "mount": "srv/mail"}, "mount", "value does not match regex",
     "e.g. /srv/mail"),
    ({"name": "", "device": "/dev/md1"}, "name", "empty values not allowed", "give it a value"),
    ({"name": "cryptmd", "device": "/dev/md1", "cipher": "aes"}, "cipher", "unknown field",
     "allowed here: device, mount, name"),
    ({"name": "cryptmd", "device": ["/dev/md1"]}, "device", "must be of string type", ""),
])
def test_a_bad_entry_names_the_key_and_the_fix(tmp_path: Path, entry: dict[str, Any], key: str, message: str,
                                               fix: str) -> None:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_inventory(write_inventory(tmp_path, redeclared(encrypted_volumes=[entry])))
    (error,) = caught.value.errors
    assert error.source.endswith(f"host_vars/{HOST}.yml")
    assert error.where == f"tier3_host.encrypted_volumes[0].{key}"
    assert message in error.message
    assert fix in error.hint


def test_a_mapping_declared_twice_is_an_error(tmp_path: Path) -> None:
    twice = [{"name": "cryptmd", "device": "/dev/md1"}, {"name": "cryptmd", "device": "/dev/md0"}]
    with pytest.raises(InventorySchemaErrors) as caught:
        load_inventory(write_inventory(tmp_path, redeclared(encrypted_volumes=twice)))
    (error,) = caught.value.errors
    assert error.where == "tier3_host.encrypted_volumes[1].name"
    assert f"duplicate encrypted volume of {HOST} name 'cryptmd'" in error.message
    assert error.hint == "name each mapping once"
