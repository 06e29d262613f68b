package test

import "testing"

// TestFactsUnderAnsibleNames: gathered facts are variables ansible_NAME and
// also ansible_facts.NAME (ansible_facts['NAME']), ansible_env is the
// host's environment, hostvars show them too, and ansible_facts is an empty
// mapping before anything gathered, as ansible-playbook gives them (issue 18).
func TestFactsUnderAnsibleNames(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - assert: {that: ["ansible_facts == {}", "ansible_facts | length == 0", "ansible_env is not defined"]}
    - setup:
    - assert:
        that:
          - ansible_facts.hostname == ansible_hostname
          - ansible_facts['distribution'] == ansible_distribution
          - ansible_facts.os_family == ansible_os_family
          - ansible_facts.env.HOME == ansible_env.HOME
          - ansible_env.PATH | length > 0
          - ansible_facts.user_id == ansible_user_id
          - ansible_facts.architecture == ansible_architecture
          - ansible_facts.processor_nproc == ansible_processor_nproc
          - ansible_facts.date_time.year == ansible_date_time.year
          - hostvars[inventory_hostname].ansible_facts.hostname == ansible_hostname
          - hostvars[inventory_hostname].ansible_env.HOME == ansible_env.HOME
- hosts: all
  tasks:
    - assert:
        that:
          - ansible_facts.kernel == ansible_kernel
          - ansible_facts.env.HOME == ansible_env.HOME
          - ansible_facts.memtotal_mb == ansible_memtotal_mb
`})
	r := runIdioms(t, dir)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
}
