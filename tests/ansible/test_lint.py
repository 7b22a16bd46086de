"""ansible-lint (production profile), --syntax-check of every playbook against every
inventory, and the example vault opening with the documented test password."""

from __future__ import annotations

import pytest
import yaml

from tests.ansible.support import ANSIBLE_DIR, PLAYBOOKS, run, tool

INVENTORIES = sorted(p.name for p in (ANSIBLE_DIR / "inventories").iterdir())
PLAYBOOK_FILES = ["site.yml", "hub.yml", "fleet.yml"]


def test_ansible_lint_production_profile() -> None:
    result = run([tool("ansible-lint"), "--offline", "--profile", "production", "--nocolor",
                  ".", str(PLAYBOOKS)], timeout=600)
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


@pytest.mark.parametrize("inventory", INVENTORIES)
@pytest.mark.parametrize("playbook", PLAYBOOK_FILES)
def test_syntax_check(inventory: str, playbook: str) -> None:
    result = run([tool("ansible-playbook"), "-i", f"inventories/{inventory}/hosts.yml",
                  "--syntax-check", playbook], timeout=120)
    assert f"playbook: {playbook}" in result.stdout


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_inventory_groups_and_vault(inventory: str) -> None:
    """hubs and edge (pick_zones, pack_benches) exist; the vault is encrypted and its values
    reach the hosts through the plain vars that reference them."""
    vault = ANSIBLE_DIR / "inventories" / inventory / "group_vars" / "all" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    graph = run([tool("ansible-inventory"), "-i", f"inventories/{inventory}/hosts.yml",
                 "--list"], timeout=120)
    data = yaml.safe_load(graph.stdout)
    assert data["hubs"]["hosts"], "no hub"
    assert set(data["edge"]["children"]) == {"pick_zones", "pack_benches"}
    hub = data["hubs"]["hosts"][0]
    shown = run([tool("ansible"), "-i", f"inventories/{inventory}/hosts.yml", hub,
                 "-m", "ansible.builtin.debug", "-a", "var=postgres_password",
                 "-c", "local"], timeout=120)
    assert f"example-{inventory}-db-password-change-me" in shown.stdout
