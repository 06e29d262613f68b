package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// apiserverTimeout bounds the wait for kube-apiserver's /readyz after boot.
const apiserverTimeout = 120 * time.Second

// HostProblem returns why the lab cannot run on this machine (not root, a
// tool missing), or "" when it can. The reason is one short line.
func HostProblem() string {
	if os.Geteuid() != 0 {
		return "not root (systemd-nspawn and nsenter need root)"
	}
	for _, tool := range []string{"systemd-nspawn", "nsenter", "zstd", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := map[string]string{"systemd-nspawn": "systemd-container", "nsenter": "util-linux", "zstd": "zstd", "tar": "tar"}[tool]
			return fmt.Sprintf("no %s on this machine (apt-get install %s)", tool, pkg)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		return "no /sys/fs/cgroup (systemd in the nodes needs cgroups)"
	}
	return ""
}

// Up builds the cache if needed, starts every node that is down and waits
// until each answers SSH and the API server is ready. It is idempotent and
// takes a few seconds when the lab is already up.
func (l *Lab) Up(ctx context.Context, log io.Writer) error {
	if p := HostProblem(); p != "" {
		return errors.New("lab: " + p)
	}
	lk, err := lockFile(ctx, l.setupLockPath(), 20*time.Minute)
	if err != nil {
		return err
	}
	defer lk.unlock()
	if !l.CacheReady() {
		if err := l.BuildCache(ctx, log); err != nil {
			return err
		}
	}
	procs := l.scan()
	for name := range procs {
		if _, ok := l.lookup(name); !ok {
			return fmt.Errorf("lab: node %s of another lab shape is running in %s; run make lab-down first", name, l.cfg.Dir)
		}
	}
	if len(procs) == 0 {
		if err := l.ensureBase(ctx); err != nil {
			return err
		}
	} else if err := l.checkBaseCurrent(); err != nil {
		return err
	}
	if err := l.ensureSecrets(); err != nil {
		return err
	}
	var down []Node
	for _, n := range l.nodes {
		if procs[n.Name].init == 0 {
			down = append(down, n)
		}
	}
	if len(down) > 0 {
		start := time.Now()
		if err := l.parallel(down, func(n Node) error { return l.Start(ctx, n.Name) }); err != nil {
			return err
		}
		fmt.Fprintf(log, "lab: started %s in %s\n", nodeNames(down), time.Since(start).Round(100*time.Millisecond))
	}
	l.startedAll = len(procs) == 0
	if err := l.WaitAPIServer(ctx, apiserverTimeout); err != nil {
		n := l.APIServerNode()
		out, _, _, _ := l.Run(n.Name, "systemctl --no-pager status etcd kube-apiserver | tail -20")
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// checkBaseCurrent fails when running nodes use a base rootfs other than
// the one the current inputs name (the cache was rebuilt meanwhile).
func (l *Lab) checkBaseCurrent() error {
	tarball, err := l.BaseTarball()
	if err != nil {
		return err
	}
	b, _ := os.ReadFile(filepath.Join(l.baseDir(), "etc", "runbook-lab-base"))
	if strings.TrimSpace(string(b)) != filepath.Base(tarball) {
		return fmt.Errorf("lab: running nodes use an older base rootfs; run make lab-down && make lab-up")
	}
	return nil
}

// Down stops every node of the lab directory (cleanly, killing what does
// not stop in time) and checks that none of their processes is left.
func (l *Lab) Down(ctx context.Context) error {
	lk, err := lockFile(ctx, l.setupLockPath(), 5*time.Minute)
	if err != nil {
		return err
	}
	defer lk.unlock()
	// A node started while others stopped (a test's cleanup restarting
	// the master it killed, racing the teardown) is stopped in the next
	// round; three rounds at most.
	for round := 0; round < 3; round++ {
		procs := l.scan()
		if len(procs) == 0 {
			return nil
		}
		var names []string
		for name := range procs {
			names = append(names, name)
		}
		sort.Strings(names)
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = l.stop(ctx, name) }()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if left := l.scan(); len(left) > 0 {
		return fmt.Errorf("lab: processes left after stopping: %v", left)
	}
	return nil
}

// Reset stops the lab and deletes every node's state (upper directories,
// containerd data), keeping the base, keys and cache: the next Up boots
// fresh nodes.
func (l *Lab) Reset(ctx context.Context) error {
	if err := l.Down(ctx); err != nil {
		return err
	}
	for _, n := range l.nodes {
		for _, d := range []string{l.upperDir(n), l.containerdDir(n)} {
			if err := os.RemoveAll(d); err != nil {
				return err
			}
		}
	}
	return os.RemoveAll(filepath.Join(l.cfg.Dir, "seeded"))
}

// Status writes a human-readable summary of the lab to w.
func (l *Lab) Status(ctx context.Context, w io.Writer) {
	procs := l.scan()
	fmt.Fprintf(w, "lab dir   %s\ncache dir %s\n", l.cfg.Dir, l.cfg.CacheDir)
	if t, err := l.BaseTarball(); err == nil {
		fmt.Fprintf(w, "base      %s (%s)\n", t, present(t))
	}
	if b, err := l.APIServerBinary(); err == nil {
		fmt.Fprintf(w, "apiserver %s (%s)\n", b, present(b))
	}
	fmt.Fprintf(w, "\n%-8s %-11s %-6s %-22s %s\n", "NODE", "IP", "ROLE", "STATE", "SSH")
	for _, n := range l.nodes {
		state := "down"
		if p := procs[n.Name]; p.init != 0 {
			state = fmt.Sprintf("running (init %d)", p.init)
		} else if p.nspawn != 0 {
			state = "stopping"
		}
		fmt.Fprintf(w, "%-8s %-11s %-6s %-22s %s\n", n.Name, n.IP, n.Role, state, portState(n.Addr(SSHPort)))
	}
	api := "not ready"
	if l.apiserverReady(ctx) == nil {
		api = "ready"
	}
	fmt.Fprintf(w, "\nkube-apiserver %s (%s)\nregistry       %s:%d on %s (%s)\n", l.APIServerURL(), api,
		RegistryDomain, RegistryPort, l.Master0().Name, portState(l.Master0().Addr(RegistryPort)))
	if exists(l.ClusterfilePath()) {
		fmt.Fprintf(w, "Clusterfile    %s\n", l.ClusterfilePath())
	}
	fmt.Fprintf(w, "key            %s (root password: %s)\nknown_hosts    %s\nkubeconfig     %s\n",
		l.KeyPath(), RootPassword, l.KnownHostsPath(), l.KubeconfigPath())
}

func present(path string) string {
	if exists(path) {
		return "cached"
	}
	return "missing"
}

func portState(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return "closed"
	}
	c.Close()
	return "open"
}

// stop stops the node called name (which may belong to another shape).
func (l *Lab) stop(ctx context.Context, name string) error {
	p := l.scan()[name]
	if p.init == 0 && p.nspawn == 0 {
		return nil
	}
	if p.init != 0 {
		_ = killPID(p.init, sigRTMinPlus4) // SIGRTMIN+4: systemd powers off
		if waitFor(ctx, stopTimeout, func() bool { q := l.scan()[name]; return q.init == 0 && q.nspawn == 0 }) == nil {
			return nil
		}
	}
	return l.kill(ctx, name)
}

// parallel runs f for each node at once and joins the errors.
func (l *Lab) parallel(nodes []Node, f func(Node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(n) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func nodeNames(nodes []Node) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.Name)
	}
	return strings.Join(s, ", ")
}
