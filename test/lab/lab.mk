# The lab (test/lab): systemd-nspawn nodes on 127.0.10.0/24 with sshd,
# containerd, docker, etcd + kube-apiserver (master1) and, after lab-seed,
# sealer's registry containers in the shape LAB_SHAPE=ha|single (default ha)
# and runtime LAB_RUNTIME=docker|containerd (default docker). Needs root;
# installs its Debian prerequisites itself. See test/lab/README.md.
#
#   make lab-up        start it (the first run builds the cache, ~8 min)
#   make lab-seed      start it if needed, lay down sealer's state
#   make lab-status    nodes, services, paths
#   make lab-down      stop every node, leave no process behind
#   make lab-reset     stop and forget the nodes' state (next lab-up is fresh)
#   make lab-test      only the lab's own tests (RUNBOOK_LAB=required)
#   make lab-shell NODE=master0      a root shell inside a node

LABCTL ?= $(GO) run -buildvcs=false ./test/lab/cmd/labctl
NODE   ?= master0

.PHONY: lab-prereqs lab-up lab-down lab-status lab-seed lab-reset lab-cache lab-test lab-shell demo

lab-prereqs: ## install the lab's Debian prerequisites (systemd-nspawn, debootstrap, zstd)
	@bash test/lab/prereqs.sh

lab-up: lab-prereqs ## start the lab (builds the cache on first use)
	@$(LABCTL) up

lab-down: ## stop every lab node
	@$(LABCTL) down

lab-status: ## show the lab's nodes and services
	@$(LABCTL) status

lab-seed: lab-prereqs ## put the lab into the state a sealer install leaves
	@$(LABCTL) seed

lab-reset: ## stop the lab and delete the nodes' state
	@$(LABCTL) reset

lab-cache: lab-prereqs ## only build the cached base rootfs and kube-apiserver
	@$(LABCTL) cache

lab-test: lab-prereqs ## run the lab's own tests against a real lab
	RUNBOOK_LAB=$${RUNBOOK_LAB:-required} $(GO) test -count=1 -v ./test/lab/

lab-shell: ## root shell in NODE (default master0)
	@cmd="$$($(LABCTL) shell $(NODE))" && exec $$cmd

demo: lab-prereqs build ## the recovery story on the lab: seed, deploy, pre-distribute, kill master0, recover onto master1, pull from node1
	@LABCTL="$(LABCTL)" RUNBOOK=bin/runbook bash test/lab/demo.sh
