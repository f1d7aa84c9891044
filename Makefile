# Two commands do all set-up on a fresh Debian 12 machine (root):
#   make demo   build the local lab and run the main job on it
#   make test   run the whole test suite (what CI runs)
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# the lab's vault password (inventory/lab keeps its BMC password as a !vault value); a placeholder
# that decrypts nothing when there is no lab (tools/lab-vault-password)
export ANSIBLE_VAULT_PASSWORD_FILE := $(CURDIR)/tools/lab-vault-password
REPORTS := reports

.PHONY: setup demo test lint unit molecule lab-down bench constraints

setup:
	@tools/setup-machine

demo: setup
	tier3 lab up
	tier3 validate inventory/lab
	ansible-playbook -i inventory/lab playbooks/preflight.yml
	ansible-playbook -i inventory/lab playbooks/site.yml
	ansible-playbook -i inventory/lab playbooks/lab.yml
	ansible-playbook -i inventory/lab playbooks/site.yml --check --diff
	tier3 fw plan --pair lab-fw -i inventory/lab
	tier3 drill mx-failover -i inventory/lab --output $(REPORTS)/drills/mx-failover.json
	tier3 check -i inventory/lab -o $(REPORTS)/check
	tier3 archive verify -i inventory/lab --witness-dir .cache/lab/archive-witness
	tier3 lab monitoring
	tier3 availability -i inventory/lab --top 3
	tier3 availability -i inventory/lab --format html --output $(REPORTS)/availability.html
	tier3 validate inventory/lab --format json --output $(REPORTS)/findings.json
	tier3 validate inventory/lab --format junit --output $(REPORTS)/findings.junit.xml
	tier3 validate inventory/lab --format html --output $(REPORTS)/findings.html
	@echo "demo: findings report written to $(CURDIR)/$(REPORTS)/findings.html (json, junit beside it)"
	@echo "demo: mx-failover drill report written to $(CURDIR)/$(REPORTS)/drills/mx-failover.html (json beside it)"
	@echo "demo: live check of the hosts written to $(CURDIR)/$(REPORTS)/check/check.html (json, junit beside it)"
	@# the audit last: it judges everything above (the drill's report among it) and prints its verdict and path
	tier3 audit -i inventory/lab -o $(REPORTS)/audit --witness-dir .cache/lab/archive-witness

lint: setup
	yamllint -s .
	ansible-lint --profile production
	ruff check tools tests bench plugins molecule
	mypy

unit: setup
	pytest tests -m "not lab"

# baseline: one container; firewall: the lab's firewall pair (tier3 lab up --firewall-only, firewall.yml in check
# mode, pushed, pushed again with changed=0, real packets, plan, rollback and every fault of the push injected);
# cluster: the whole lab (tier3 lab up, site.yml, idempotence, the three
# drills, protocol checks, tier3 lab down); metal: the QEMU VMs (hardware.yml, idempotence, every fault
# injected, judged by tier3 check and healed); a failed scenario prints what failed again at its end
molecule: setup
	tools/molecule-scenario baseline
	tools/molecule-scenario firewall
	tools/molecule-scenario cluster
	tools/molecule-scenario metal

test: lint unit molecule

bench: setup
	python bench/preflight
	python bench/parsers
	@echo "bench/fwpush needs the lab's firewall pair: tier3 lab up --firewall-only && python bench/fwpush"
	python bench/failover
	python bench/smtp
	python bench/converge --keep
	python bench/evidence
	python bench/availability
	python bench/archive

lab-down: setup
	tier3 lab down

# constraints.txt pins what tools/setup-machine installs; rewrite it from .venv after a green `make test`
constraints:
	@{ sed -n '/^#/!q;p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@echo "constraints: constraints.txt rewritten from $(VENV) ($$(grep -c '==' constraints.txt) pins)"
