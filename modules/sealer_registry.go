package modules

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(sealerRegistryModule{}) }

type sealerRegistryModule struct{}

// sealerContainer is the container name sealer gives its registry.
const sealerContainer = "sealer-registry"

var sealerRegistrySpec = &Spec{
	Name:  "sealer_registry",
	Short: "Run sealer's registry container the way sealer does (init-registry.sh)",
	Doc: "Makes sure the container sealer-registry runs on the host, started exactly as sealer starts it: " +
		"`cd <rootfs>/scripts && bash init-registry.sh <port> <rootfs>/registry <domain>` (the script of the " +
		"cluster image, which loads registry:2.7.1 from <rootfs>/images and runs it with --net=host, the rootfs's " +
		"certificate, data, configuration and htpasswd mounted, TLS and authentication from its environment). " +
		"The container is looked for under every runtime present on the host, docker and nerdctl (sealer's images " +
		"before 2023 ran it with nerdctl on containerd-only hosts): a running one is left alone (changed=false) " +
		"unless state is restarted, which removes it first so the script creates it again. state: absent removes " +
		"it as sealer's uninstall does. Check mode reports exactly what would be done and runs nothing.",
	Params: []Param{
		{Name: "rootfs", Type: TypePath, Required: true, Doc: "sealer's cluster rootfs on the host (<dataRoot>/<cluster>/rootfs)."},
		{Name: "port", Type: TypeInt, Default: 5000, Doc: "The registry port (init-registry.sh's first argument)."},
		{Name: "domain", Type: TypeString, Default: "sea.hub", Doc: "The registry domain (its third argument; names the certificate files)."},
		{Name: "data", Type: TypePath, Doc: "The registry data directory (its second argument); default <rootfs>/registry."},
		{Name: "state", Type: TypeString, Default: "started", Choices: []string{"started", "restarted", "absent"},
			Doc: "started: running (created by the script when missing or stopped); restarted: re-created; absent: removed."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "runtime", Type: TypeString, Doc: "The runtime the container runs under (docker or nerdctl), or \"\" when it is absent."},
		{Name: "before", Type: TypeString, Doc: "The container's state before the task (running, exited, …, or absent)."},
		{Name: "after", Type: TypeString, Doc: "Its state after the task (in check mode: the state predicted)."},
	},
	Example: `- name: sealer's registry runs on the new master
  sealer_registry:
    rootfs: /var/lib/sealer/data/my-cluster/rootfs
    port: 5000
    domain: sea.hub`,
}

func (sealerRegistryModule) Spec() *Spec { return sealerRegistrySpec }

// containerState is the sealer-registry container as one runtime sees it.
type containerState struct {
	runtime string // docker or nerdctl
	status  string // running, exited, created, …
}

// probeContainer finds sealer-registry under docker or nerdctl, and which
// of the two runtimes the host has (docker first: sealer's current scripts
// use it).
func probeContainer(ctx context.Context, mc *Context) (found containerState, runtimes []string, err error) {
	// One round trip: for each runtime present, its name and the
	// container's status (or "absent"). inspect's JSON is read with sed so
	// that no Go template reaches the host through the playbook engine.
	script := `for rt in docker nerdctl; do
  command -v "$rt" >/dev/null 2>&1 || continue
  out=$("$rt" container inspect ` + sealerContainer + ` 2>/dev/null) || { echo "$rt absent"; continue; }
  st=$(printf '%s\n' "$out" | sed -n 's/^ *"Status": *"\([a-z]*\)".*/\1/p' | head -1)
  echo "$rt ${st:-unknown}"
done`
	res, err := hostRun(ctx, mc, "looking for the sealer-registry container", &transport.Cmd{Shell: script})
	if err != nil {
		return found, nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		rt, st, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		runtimes = append(runtimes, rt)
		if st != "absent" && (found.runtime == "" || st == "running" && found.status != "running") {
			found = containerState{runtime: rt, status: st}
		}
	}
	return found, runtimes, nil
}

func (sealerRegistryModule) Run(ctx context.Context, mc *Context, a Args) (*Result, error) {
	rootfs := strings.TrimRight(a.String("rootfs"), "/")
	port, domain, state := a.Int("port"), a.String("domain"), a.String("state")
	data := a.String("data")
	if data == "" {
		data = rootfs + "/registry"
	}
	cur, runtimes, err := probeContainer(ctx, mc)
	if err != nil {
		return nil, err
	}
	before := cur.status
	if before == "" {
		before = "absent"
	}
	res := &Result{Data: map[string]any{"runtime": cur.runtime, "before": before, "after": before}}
	if state == "absent" {
		if cur.runtime == "" {
			res.Msg = "no sealer-registry container"
			return res, nil
		}
		res.Changed, res.Data["after"], res.Data["runtime"] = true, "absent", ""
		if mc.Check {
			return res, nil
		}
		_, err := hostRun(ctx, mc, "removing sealer-registry", &transport.Cmd{Args: []string{cur.runtime, "rm", "-f", sealerContainer}})
		return res, err
	}
	if cur.status == "running" && state == "started" {
		res.Msg = fmt.Sprintf("sealer-registry is running under %s", cur.runtime)
		return res, nil
	}
	if len(runtimes) == 0 {
		return nil, fmt.Errorf("no container runtime on %s: neither docker nor nerdctl is installed (sealer's "+
			"init-registry.sh needs one); on a site that is not a sealer cluster use registry_launch=systemd", mc.Host)
	}
	script := path.Join(rootfs, "scripts", "init-registry.sh")
	if info, err := transport.StatAs(ctx, mc.Conn, mc.Become, script); err != nil {
		return nil, fmt.Errorf("looking for %s: %w", script, err)
	} else if !info.Exists {
		return nil, fmt.Errorf("%s is missing on %s: this host has no sealer cluster rootfs at %s "+
			"(check rootfs/dataRoot in the Clusterfile; on a site that is not a sealer cluster use registry_launch=systemd)", script, mc.Host, rootfs)
	}
	res.Changed, res.Data["after"] = true, "running"
	if cur.runtime == "" {
		res.Data["runtime"] = runtimes[0]
	}
	if mc.Check {
		return res, nil
	}
	if cur.runtime != "" && state == "restarted" {
		if _, err := hostRun(ctx, mc, "removing sealer-registry", &transport.Cmd{Args: []string{cur.runtime, "rm", "-f", sealerContainer}}); err != nil {
			return nil, err
		}
	}
	run, err := mc.Conn.Run(ctx, &transport.Cmd{Become: mc.Become, Dir: path.Dir(script),
		Args: []string{"bash", "init-registry.sh", strconv.Itoa(port), data, domain}})
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", script, err)
	}
	res.Stdout, res.Stderr, res.RC = string(run.Stdout), string(run.Stderr), IntPtr(run.ExitCode)
	if run.ExitCode != 0 {
		res.Failed = true
		res.Msg = fmt.Sprintf("%s %d %s %s exited %d: %s", script, port, data, domain, run.ExitCode, textStderr(run))
		return res, nil
	}
	after, _, err := probeContainer(ctx, mc)
	if err != nil {
		return nil, err
	}
	res.Data["runtime"], res.Data["after"] = after.runtime, after.status
	if after.status != "running" {
		res.Failed = true
		res.Msg = fmt.Sprintf("init-registry.sh succeeded but sealer-registry is %q", after.status)
	}
	return res, nil
}
