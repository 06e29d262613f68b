package modules

import (
	"bufio"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellwords"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(setupModule{}) }

type setupModule struct{}

var setupSpec = &Spec{
	Name:  "setup",
	Short: "Gather facts about the host",
	Doc: "Collects Ansible's common facts with one shell script on the host (no Python needed): names, kernel, " +
		"architecture, distribution (from /etc/os-release, lsb_release), user, a few environment variables, " +
		"service and package manager, processors, memory, mounts, network interfaces and default routes, DNS, " +
		"virtualization, SELinux/AppArmor, DMI, SSH host keys, local facts from /etc/ansible/facts.d (JSON, INI " +
		"or executables), the kernel command line and the date. Not gathered: ansible_python*, ansible_devices, " +
		"ansible_lvm, ethtool features. gather_facts runs it; it changes nothing.",
	Params: []Param{
		{Name: "filter", Type: TypeList, Doc: "Only return facts whose name matches one of these glob patterns (for example ansible_distribution*)."},
		{Name: "gather_subset", Type: TypeList, Doc: "Accepted for compatibility; the same facts are always gathered."},
		{Name: "gather_timeout", Type: TypeInt, Default: 10, Doc: "Seconds to wait for the host before failing."},
	},
	GathersFacts: true,
	Check:        CheckFull,
	Returns: []Return{
		{Name: "ansible_facts", Type: TypeMap, Doc: "ansible_hostname, ansible_fqdn, ansible_nodename, ansible_system, ansible_kernel, " +
			"ansible_kernel_version, ansible_architecture, ansible_machine, ansible_machine_id, ansible_distribution, " +
			"ansible_distribution_version, ansible_distribution_major_version, ansible_distribution_release, ansible_os_family, " +
			"ansible_user_id, ansible_user_uid, ansible_user_gid, ansible_user_dir, ansible_env, ansible_service_mgr, " +
			"ansible_pkg_mgr, ansible_processor_nproc, ansible_memtotal_mb, ansible_date_time; ansible_interfaces, " +
			"ansible_<interface>, ansible_default_ipv4/ipv6, ansible_all_ipv4/ipv6_addresses; ansible_processor, " +
			"ansible_processor_count/cores/threads_per_core/vcpus; ansible_memory_mb, ansible_memfree_mb, ansible_swaptotal_mb; " +
			"ansible_mounts; ansible_lsb; ansible_dns; ansible_domain; ansible_virtualization_type/role; ansible_selinux, " +
			"ansible_apparmor, ansible_fips; ansible_user_shell/gecos, real and effective ids; ansible_cmdline, " +
			"ansible_proc_cmdline; ansible_uptime_seconds, ansible_loadavg; DMI (ansible_product_name, ansible_bios_*, …); " +
			"ansible_ssh_host_key_*; ansible_local."},
	},
	Example: `- setup:
    filter: [ansible_distribution*, ansible_os_family]`,
}

func (setupModule) Spec() *Spec { return setupSpec }

// setupScript prints key=value lines; os-release lines come prefixed by os_.
const setupScript = `kv() { printf '%s=%s\n' "$1" "$2"; }
n=$(uname -n 2>/dev/null)
kv nodename "$n"
kv fqdn "$(hostname -f 2>/dev/null)"
kv system "$(uname -s 2>/dev/null)"
kv kernel "$(uname -r 2>/dev/null)"
kv kernel_version "$(uname -v 2>/dev/null)"
kv machine "$(uname -m 2>/dev/null)"
kv machine_id "$(cat /etc/machine-id 2>/dev/null)"
kv user_id "$(id -un 2>/dev/null)"
kv user_uid "$(id -u 2>/dev/null)"
kv user_gid "$(id -g 2>/dev/null)"
for v in HOME PATH USER LOGNAME SHELL LANG PWD; do
  eval "if [ -n \"\${$v+x}\" ]; then kv env_$v \"\$$v\"; fi"
done
kv date_time "$(date '+%s %Y-%m-%d %H:%M:%S %z %A %Z' 2>/dev/null)"
if [ -d /run/systemd/system ]; then kv service_mgr systemd; fi
kv pid1 "$(cat /proc/1/comm 2>/dev/null)"
if [ -x /sbin/openrc-run ] || [ -d /run/openrc ]; then kv openrc 1; fi
for p in dnf5 dnf yum apt-get zypper apk pacman; do
  if command -v $p >/dev/null 2>&1; then kv pkg_mgr $p; break; fi
done
kv nproc "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
kv memtotal_kb "$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo 2>/dev/null)"
if [ -r /etc/debian_version ]; then kv debian_version "$(cat /etc/debian_version)"; fi
for f in /etc/os-release /usr/lib/os-release; do
  if [ -r $f ]; then sed 's/^/os_/' $f; break; fi
done
` + setupMoreScript + `
exit 0`

func (setupModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	if t := args.Int("gather_timeout"); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Shell: setupScript, Env: mc.Env, Become: mc.Become})
	if err != nil {
		return nil, fmt.Errorf("setup: gathering facts: %w", err)
	}
	if res.ExitCode != 0 {
		return &Result{Failed: true, RC: IntPtr(res.ExitCode), Stdout: string(res.Stdout), Stderr: string(res.Stderr),
			Msg: "fact gathering script failed"}, nil
	}
	head, sections := setupSections(string(res.Stdout))
	facts := setupFacts(setupParse(head))
	setupNetworkFacts(facts, sections)
	setupProcessorFacts(facts, sections["cpuinfo"])
	setupMemoryFacts(facts, sections["meminfo"])
	setupMountFacts(facts, sections["mounts"], sections["byuuid"])
	setupSystemFacts(facts, sections)
	if patterns := args.StringList("filter"); len(patterns) > 0 {
		for k := range facts {
			keep := false
			for _, p := range patterns {
				if ok, _ := path.Match(p, k); ok {
					keep = true
					break
				}
			}
			if !keep {
				delete(facts, k)
			}
		}
	}
	return &Result{Facts: facts}, nil
}

// setupParse reads the script's key=value lines (the first value of a key
// wins); os-release values have their shell quoting removed.
func setupParse(out string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || !module.FreeFormKey(k) {
			continue
		}
		if strings.HasPrefix(k, "os_") {
			if words, err := shellwords.Split(v); err == nil {
				v = strings.Join(words, " ")
			}
		}
		if _, seen := kv[k]; !seen {
			kv[k] = v
		}
	}
	return kv
}

var setupDistNames = map[string]string{
	"ubuntu": "Ubuntu", "debian": "Debian", "linuxmint": "Linux Mint", "kali": "Kali", "pop": "Pop!_OS",
	"raspbian": "Debian", "centos": "CentOS", "rhel": "RedHat", "fedora": "Fedora", "rocky": "Rocky",
	"almalinux": "AlmaLinux", "ol": "OracleLinux", "amzn": "Amazon", "alpine": "Alpine", "arch": "Archlinux",
	"opensuse-leap": "openSUSE Leap", "opensuse-tumbleweed": "openSUSE Tumbleweed", "sles": "SLES",
	"gentoo": "Gentoo",
}

// setupFamilies maps a distribution or an ID_LIKE word to its OS family.
var setupFamilies = map[string]string{
	"Ubuntu": "Debian", "Debian": "Debian", "Linux Mint": "Debian", "Kali": "Debian", "Pop!_OS": "Debian",
	"CentOS": "RedHat", "RedHat": "RedHat", "Fedora": "RedHat", "Rocky": "RedHat", "AlmaLinux": "RedHat",
	"OracleLinux": "RedHat", "Amazon": "RedHat", "openSUSE Leap": "Suse", "openSUSE Tumbleweed": "Suse",
	"SLES": "Suse", "Alpine": "Alpine", "Archlinux": "Archlinux", "Gentoo": "Gentoo",
	"debian": "Debian", "ubuntu": "Debian", "rhel": "RedHat", "fedora": "RedHat", "centos": "RedHat",
	"suse": "Suse", "opensuse": "Suse", "arch": "Archlinux", "alpine": "Alpine",
}

// setupFileVariety is ansible_distribution_file_variety per OS family.
var setupFileVariety = map[string]string{"Debian": "Debian", "RedHat": "RedHat", "Suse": "SUSE",
	"Alpine": "Alpine", "Archlinux": "Archlinux", "Gentoo": "Gentoo"}

func setupFacts(kv map[string]string) map[string]any {
	na := func(s string) string {
		if s == "" {
			return "NA"
		}
		return s
	}
	nodename := kv["nodename"]
	fqdn := kv["fqdn"]
	if fqdn == "" {
		fqdn = nodename
	}
	host, _, _ := strings.Cut(nodename, ".")
	arch := kv["machine"]
	if len(arch) == 4 && arch[0] == 'i' && strings.HasSuffix(arch, "86") {
		arch = "i386"
	}
	f := map[string]any{
		"ansible_nodename": nodename, "ansible_hostname": host, "ansible_fqdn": fqdn,
		"ansible_system": kv["system"], "ansible_kernel": kv["kernel"], "ansible_kernel_version": kv["kernel_version"],
		"ansible_machine": kv["machine"], "ansible_architecture": arch, "ansible_machine_id": kv["machine_id"],
		"ansible_user_id": kv["user_id"], "ansible_user_dir": kv["env_HOME"],
	}
	for key, fact := range map[string]string{"user_uid": "ansible_user_uid", "user_gid": "ansible_user_gid", "nproc": "ansible_processor_nproc"} {
		if n, err := strconv.Atoi(kv[key]); err == nil {
			f[fact] = n
		}
	}
	if kb, err := strconv.Atoi(kv["memtotal_kb"]); err == nil {
		f["ansible_memtotal_mb"] = kb / 1024
	}

	// Distribution.
	dist, version, release := kv["os_NAME"], kv["os_VERSION_ID"], kv["os_VERSION_CODENAME"]
	if d, ok := setupDistNames[kv["os_ID"]]; ok {
		dist = d
	}
	if release == "" {
		release = kv["os_UBUNTU_CODENAME"]
	}
	// Debian's os-release has only the major version; the point release
	// is in /etc/debian_version (Ansible reads it there too).
	if dv := kv["debian_version"]; dist == "Debian" && dv != "" && dv[0] >= '0' && dv[0] <= '9' {
		version = dv
	}
	if dist == "" { // no os-release: macOS, the BSDs
		dist, version = kv["system"], kv["kernel"]
		if dist == "Darwin" {
			dist = "MacOSX"
		}
	}
	family, ok := setupFamilies[dist]
	for _, like := range strings.Fields(kv["os_ID_LIKE"]) {
		if ok {
			break
		}
		family, ok = setupFamilies[like]
	}
	if !ok {
		family = dist
		if dist == "MacOSX" {
			family = "Darwin"
		}
	}
	major, rest, _ := strings.Cut(version, ".")
	minor, _, _ := strings.Cut(rest, ".")
	if minor == "" {
		minor = "NA"
	}
	f["ansible_distribution_minor_version"] = minor
	f["ansible_distribution_file_variety"] = na(setupFileVariety[family])
	_, domain, _ := strings.Cut(fqdn, ".")
	f["ansible_domain"] = domain
	f["ansible_distribution"], f["ansible_os_family"] = na(dist), na(family)
	f["ansible_distribution_version"], f["ansible_distribution_major_version"] = na(version), na(major)
	f["ansible_distribution_release"] = na(release)

	env := map[string]any{}
	for k, v := range kv {
		if name, ok := strings.CutPrefix(k, "env_"); ok {
			env[name] = v
		}
	}
	f["ansible_env"] = env

	switch {
	case kv["service_mgr"] != "" || kv["pid1"] == "systemd":
		f["ansible_service_mgr"] = "systemd"
	case kv["openrc"] != "":
		f["ansible_service_mgr"] = "openrc"
	case kv["system"] == "Darwin":
		f["ansible_service_mgr"] = "launchd"
	case kv["pid1"] != "" && kv["pid1"] != "init" && !strings.HasSuffix(kv["pid1"], "sh"):
		// Like Ansible: an unknown init (a container's entry point) is
		// reported by its name.
		f["ansible_service_mgr"] = kv["pid1"]
	default:
		f["ansible_service_mgr"] = "service"
	}
	if p := kv["pkg_mgr"]; p != "" {
		f["ansible_pkg_mgr"] = strings.TrimSuffix(p, "-get")
	}
	f["ansible_date_time"] = setupDateTime(kv["date_time"])
	return f
}

// setupDateTime builds ansible_date_time from "epoch date time tzoffset weekday tz".
func setupDateTime(s string) map[string]any {
	fields := strings.Fields(s)
	if len(fields) < 5 {
		return map[string]any{}
	}
	m := map[string]any{"epoch": fields[0], "date": fields[1], "time": fields[2], "tz_offset": fields[3], "weekday": fields[4]}
	if len(fields) > 5 {
		m["tz"] = fields[5]
	}
	if d := strings.Split(fields[1], "-"); len(d) == 3 {
		m["year"], m["month"], m["day"] = d[0], d[1], d[2]
	}
	if t := strings.Split(fields[2], ":"); len(t) == 3 {
		m["hour"], m["minute"], m["second"] = t[0], t[1], t[2]
	}
	if sec, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
		m["iso8601"] = time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05Z")
	}
	return m
}
