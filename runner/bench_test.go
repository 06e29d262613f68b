package runner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// BenchmarkTaskHost measures the engine's own cost per task per host: vars
// merge, when:, rendering, binding and reporting, with controller-side
// modules so no process or connection is involved. Reported as ns per
// task-host.
func BenchmarkTaskHost(b *testing.B) {
	const hosts, tasks = 200, 10
	var inv strings.Builder
	inv.WriteString("[web]\n")
	for i := 0; i < hosts; i++ {
		fmt.Fprintf(&inv, "h%d ansible_connection=local idx=%d\n", i, i)
	}
	inv.WriteString("[web:vars]\nregistry_domain=sea.hub\nregistry_port=5000\n")
	var pb strings.Builder
	pb.WriteString("- hosts: web\n  gather_facts: false\n  vars: {base: /var/lib/sealer, rootfs: '{{ base }}/rootfs'}\n  tasks:\n")
	for i := 0; i < tasks; i++ {
		fmt.Fprintf(&pb, "    - name: t%d\n      set_fact: {v%d: '{{ registry_domain }}:{{ registry_port }} {{ rootfs }} {{ idx }}'}\n      when: int(idx) >= 0 and registry_port == '5000'\n", i, i)
	}
	dir := b.TempDir()
	invPath, pbPath := dir+"/hosts", dir+"/pb.yaml"
	writeFile(b, invPath, inv.String())
	writeFile(b, pbPath, pb.String())
	i, err := inventory.Load([]string{invPath})
	if err != nil {
		b.Fatal(err)
	}
	p, err := playbook.Load(pbPath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		out, err := runner.Run(context.Background(), p, runner.Options{Inventory: i, Forks: 50})
		if err != nil || out.ExitCode() != 0 {
			b.Fatalf("run: %v %d", err, out.ExitCode())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*hosts*tasks), "ns/task-host")
}
