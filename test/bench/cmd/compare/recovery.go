package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
)

// recovery is the master0-recovery result (issue 8 item 4).
type recovery struct {
	skipped string // why nothing was measured
	tree    *regTree
	steps   []*recoveryStep
}

// recoveryStep is one timed `runbook play` of a built-in playbook.
type recoveryStep struct {
	key, what, cmd string
	m              measure
	err            string
}

func (r *recovery) step(key string) *recoveryStep {
	for _, s := range r.steps {
		if s.key == key {
			return s
		}
	}
	return nil
}

// recoveryPlaybooks are the built-in playbooks the benchmark runs.
var recoveryPlaybooks = []string{"pre-distribute.yaml", "recover-master0.yaml", "post-distribute.yaml"}

// benchRecovery is issue 8 item 4, on the lab with the 1 GiB tree added to
// master0's registry data (sealer's rootfs/registry):
//
//  1. pre-distribute.yaml while master0 lives (timed, for reference);
//  2. master0 hard-killed; recover-master0.yaml -e host=master1: the
//     registry data is already there (target under 15 s);
//  3. via post-distribute: master2's registry data removed (a standby that
//     was never pre-distributed); post-distribute.yaml -e host=master2
//     copies it from the live registry host (master1), then
//     recover-master0.yaml -e host=master2 moves the registry there.
//
// Every step is the runbook binary running the built-in playbook (no file
// of that name in its directory) on the lab's Clusterfile. Afterwards the
// lab is reset (recovery rewrites cluster and node state) and, if it was
// running before, started and seeded again.
func (b *bench) benchRecovery(ctx context.Context, c config) (_ *recovery, err error) {
	r := &recovery{}
	if missing := b.missingPlaybooks(ctx); len(missing) > 0 {
		r.skipped = "not measured: this runbook has no built-in " + strings.Join(missing, ", ") +
			" (`runbook playbooks list`); the benchmark runs them as soon as they ship"
		fmt.Println("  " + r.skipped)
		return r, nil
	}
	l, err := b.needLab(ctx, c.labWait)
	if err != nil {
		return nil, err
	}
	// Up and seeded (again, when a first attempt was interrupted and reset)
	// in sealer's single shape: the one where losing master0 loses the
	// registry, so the recovery has real work (in the ha shape it is mostly
	// verification).
	if err := l.Up(ctx, io.Discard); err != nil {
		return nil, err
	}
	if err := l.SeedWith(ctx, lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}); err != nil {
		return nil, err
	}
	defer b.resetLab(l)
	pids := b.labPIDs()
	defer func() {
		// A failed step is a result, unless someone else restarted the
		// other nodes meanwhile: then the run says nothing.
		failed := false
		for _, s := range r.steps {
			failed = failed || s.err != ""
		}
		now := b.labPIDs()
		delete(pids, l.Master0().Name)
		delete(now, l.Master0().Name)
		if failed && err == nil && !maps.Equal(pids, now) {
			err = fmt.Errorf("lab nodes were restarted by someone else during the recovery benchmark")
		}
	}()
	m0, m1, m2 := l.Master0(), l.Masters()[1], l.Masters()[2]
	data := lab.Rootfs() + "/registry"
	t0 := time.Now()
	if r.tree, err = b.placeRegTree(ctx, m0.Name, data, c.registryBlobs, int64(c.registryMB)<<20, "runbook-bench", false); err != nil {
		return nil, fmt.Errorf("adding the tree to %s's registry: %w", m0.Name, err)
	}
	fmt.Printf("  added %.2f GiB (%d blobs) to %s:%s in %s\n", float64(r.tree.bytes())/(1<<30), r.tree.blobs, m0.Name, data,
		time.Since(t0).Round(100*time.Millisecond))
	var images []string
	for _, img := range lab.SeedImages {
		images = append(images, img.Repo+":"+img.Tag)
	}
	check, _ := json.Marshal(map[string]any{"registry_images": images})
	dir, err := b.labDir("recovery") // holds no playbook: the built-ins run (names without a directory)
	if err != nil {
		return nil, err
	}
	play := func(key, what, playbook string, extra ...string) *recoveryStep {
		s := &recoveryStep{key: key, what: what}
		args := append([]string{"-e", string(check)}, extra...)
		// A bare name, run where no such file exists: the built-in.
		j := b.runbookJob("runbook "+playbook+" "+strings.Join(extra, " "), playbook, l.ClusterfilePath(),
			l.KnownHostsPath(), 5, args, filepath.Join(b.logs, "recovery-"+key+".log"), 15*time.Minute)
		j.dir = dir
		s.cmd = "runbook play " + playbook + " -i Clusterfile " + strings.Join(extra, " ")
		m, err := b.timed(ctx, j, 0)
		s.m = m
		if err != nil {
			s.err = err.Error()
		}
		r.steps = append(r.steps, s)
		return s
	}
	size := fmt.Sprintf("%.2f GiB", float64(r.tree.bytes())/(1<<30))
	if s := play("pre", "pre-distribute (master0 alive; "+size+" to master1 and master2)", "pre-distribute.yaml"); s.err != "" {
		return r, nil
	}
	if err := l.HardKill(ctx, m0.Name); err != nil {
		return nil, err
	}
	fmt.Printf("  %s hard-killed\n", m0.Name)
	if s := play("recover", "recover-master0 onto master1, registry data pre-distributed", "recover-master0.yaml",
		"-e", "host="+m1.IP); s.err != "" {
		return r, nil
	}
	if _, err := b.onNode(ctx, m2.Name, "docker rm -f sealer-registry >/dev/null 2>&1; rm -rf "+data, nil, 5*time.Minute); err != nil {
		return nil, err
	}
	fmt.Printf("  %s's registry data removed\n", m2.Name)
	if s := play("post", "post-distribute onto master2 (no data there; "+size+" from master1)", "post-distribute.yaml",
		"-e", "host="+m2.IP); s.err != "" {
		return r, nil
	}
	play("recover2", "recover-master0 onto master2 after post-distribute", "recover-master0.yaml", "-e", "host="+m2.IP)
	return r, nil
}

// missingPlaybooks lists the recovery playbooks the runbook binary does not
// ship.
func (b *bench) missingPlaybooks(ctx context.Context) []string {
	out, err := exec.CommandContext(ctx, b.runbook, "playbooks", "list").Output()
	var missing []string
	for _, p := range recoveryPlaybooks {
		if err != nil || !strings.Contains(string(out), p) {
			missing = append(missing, p)
		}
	}
	return missing
}

// resetLab undoes what the recovery changed (cluster ConfigMaps, node
// files, registries on other masters, the killed master0) by resetting the
// lab; a lab that was running before the benchmarks is started and seeded
// again.
func (b *bench) resetLab(l *lab.Lab) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	fmt.Println("  lab: resetting (recovery changed cluster and node state)")
	if err := l.Reset(ctx); err != nil {
		fmt.Println("  lab: reset:", err)
		return
	}
	if !b.labWasUp {
		return
	}
	if err := l.Up(ctx, io.Discard); err != nil {
		fmt.Println("  lab: up after reset:", err)
		return
	}
	if err := l.Seed(ctx); err != nil {
		fmt.Println("  lab: seed after reset:", err)
	}
}
