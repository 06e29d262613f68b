# The lab (test/lab): systemd-nspawn nodes on 127.0.10.0/24 with sshd,
# containerd, etcd + kube-apiserver (master1) and, after lab-seed, sealer's
# registry on master0. Needs root. See test/lab/README.md.
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

.PHONY: lab-up lab-down lab-status lab-seed lab-reset lab-cache lab-test lab-shell demo

lab-up: ## start the lab (builds the cache on first use)
	@$(LABCTL) up

lab-down: ## stop every lab node
	@$(LABCTL) down

lab-status: ## show the lab's nodes and services
	@$(LABCTL) status

lab-seed: ## put the lab into the state a sealer install leaves
	@$(LABCTL) seed

lab-reset: ## stop the lab and delete the nodes' state
	@$(LABCTL) reset

lab-cache: ## only build the cached base rootfs and kube-apiserver
	@$(LABCTL) cache

lab-test: ## run the lab's own tests against a real lab
	RUNBOOK_LAB=$${RUNBOOK_LAB:-required} $(GO) test -count=1 -v ./test/lab/

lab-shell: ## root shell in NODE (default master0)
	@cmd="$$($(LABCTL) shell $(NODE))" && exec $$cmd

demo: build ## the recovery story on the lab: seed, deploy, pre-distribute, kill master0, recover onto master1, pull from node1
	@LABCTL="$(LABCTL)" RUNBOOK=bin/runbook bash test/lab/demo.sh
