package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// passwordHashPlay hashes a password held by a variable whose name does
// not say it is a secret, keeps the hash in another such variable, and
// prints and writes both; each host also picks its seeded cron minute.
const passwordHashPlay = `- hosts: all
  gather_facts: false
  vars:
    plain: HUNTERPW4471
  tasks:
    - set_fact:
        hashed: "{{ plain | password_hash('sha512', 'mysalt01', rounds=5000) }}"
    - debug: {var: hashed}
    - debug: {msg: "{{ plain }} -> {{ hashed }}"}
    - copy: {content: "{{ hashed }}\n", dest: "$DIR/{{ inventory_hostname }}.hash"}
    - copy: {content: "{{ 59 | random(seed=inventory_hostname) }}\n", dest: "$DIR/{{ inventory_hostname }}.minute"}
`

// TestPasswordHashMaskedAndSeededRandom: a password_hash's password and
// hash are masked in the output at any verbosity, whatever variables hold
// them, while the file gets the exact hash passlib makes; random with a
// seed gives each host the minute Python's random.Random(host) gives
// (values printed by passlib 1.7.4 and Python 3.11).
func TestPasswordHashMaskedAndSeededRandom(t *testing.T) {
	const hash = "$6$mysalt01$qJqSMpeNRGV4HdCvVqWvAdoS5EP8ZKuRltk6AUB98jO8WS9sMVeHv8N7seomIp1X7i5vyHXxkAKUNIoVyGoim."
	secrets := []string{"HUNTERPW4471", hash, "qJqSMpeNRGV4HdCvVqWvAdoS5EP8ZKuRltk6AUB98jO8WS9sMVeHv8N7seomIp1X7i5vyHXxkAKUNIoVyGoim."}
	for _, extra := range [][]string{nil, {"-vvvv"}, {"--output", "json"}} {
		t.Run(strings.Join(extra, " "), func(t *testing.T) {
			dir := workdir(t, map[string]string{"site.yaml": passwordHashPlay, "hosts": localHosts})
			r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts"}, extra...)...)
			if r.code != 0 || !strings.Contains(r.stdout, "********") {
				t.Fatalf("the play failed or masked nothing\n%s", r)
			}
			if found := leaks(r.stdout+r.stderr, secrets); len(found) > 0 {
				t.Errorf("secrets %q appear in the output\n%s", found, r)
			}
			for host, minute := range map[string]string{"h1": "32", "h2": "28"} {
				if b, err := os.ReadFile(filepath.Join(dir, host+".hash")); err != nil || string(b) != hash+"\n" {
					t.Errorf("%s.hash = %q, %v; want %q", host, b, err, hash)
				}
				if b, err := os.ReadFile(filepath.Join(dir, host+".minute")); err != nil || string(b) != minute+"\n" {
					t.Errorf("%s.minute = %q, %v; want %s", host, b, err, minute)
				}
			}
		})
	}
}
