package modules_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// A host with two sockets of four hyper-threaded cores, a bridge, an
// alias address, a secondary address, IPv6, two mounts, SELinux enforcing,
// inside a docker container, with one JSON, one INI and one broken local fact.
var setupSectionsOutput = "nodename=db1.corp.example\nfqdn=db1.corp.example\nsystem=Linux\nmachine=x86_64\n" +
	"pid1=systemd\nos_NAME=\"Rocky Linux\"\nos_ID=rocky\nos_VERSION_ID=\"9.3\"\n" +
	"@@net\n" +
	"lo|00:00:00:00:00:00|65536|unknown|772|0x9|\n" +
	"eth0|52:54:00:12:34:56|1500|up|1|0x1103|\n" +
	"br0|52:54:00:aa:bb:cc|1450|down|1|0x1002|bridge\n" +
	"@@addr\n" +
	"1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n" +
	"1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n" +
	"2: eth0    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth0\\       valid_lft forever\n" +
	"2: eth0    inet 10.1.2.9/24 brd 10.1.2.255 scope global secondary eth0:1\\       valid_lft forever\n" +
	"2: eth0    inet6 2001:db8::3/64 scope global \\       valid_lft forever\n" +
	"2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever\n" +
	"3: br0    inet 172.17.0.1/16 brd 172.17.255.255 scope global br0\\       valid_lft forever\n" +
	"@@route4\ndefault via 10.1.2.1 dev eth0 proto static metric 100\n" +
	"@@route6\ndefault via 2001:db8::1 dev eth0 metric 1024 pref medium\n" +
	"@@cpuinfo\n" + strings.Repeat("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 8\ncpu cores\t: 4\n", 8) +
	strings.Repeat("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 1\nsiblings\t: 8\ncpu cores\t: 4\n", 8) +
	"@@meminfo\nMemTotal:       16384000 kB\nMemFree:         1024000 kB\nBuffers:          102400 kB\nCached:          2048000 kB\n" +
	"SwapTotal:       2048000 kB\nSwapFree:        1024000 kB\nSwapCached:        10240 kB\n" +
	"@@mounts\n/dev/sda1|/|xfs|rw,relatime|4096|1000|400|300|500|100\n/dev/sdb1|/var/lib/my data|ext4|rw|4096|x|||||\n" +
	"@@byuuid\nlrwxrwxrwx 1 root root 10 Jan  1 00:00 1111-2222 -> ../../sda1\n" +
	"@@lsb\nDistributor ID:\tRocky\nDescription:\tRocky Linux 9.3 (Blue Onyx)\nRelease:\t9.3\nCodename:\tBlueOnyx\n" +
	"@@resolv\nnameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch corp.example example\noptions ndots:2 rotate\n" +
	"@@misc\nuptime|1234.56 99.0\nloadavg|0.50 0.25 0.10 1/100 42\ncmdline|BOOT_IMAGE=/vmlinuz ro console=tty0 console=ttyS0 quiet\n" +
	"fips|0\nselinux_enforce|1\nselinux_policyvers|33\nselinux_config|enforcing\nselinux_type|targeted\n" +
	"long_bit|64\nids|1000 0 1000 0\npasswd|ops:x:1000:1000:Ops Team:/home/ops:/bin/zsh\nroot_ids|2049:2 2049:2\n" +
	"container|docker\ndmi_product_name|KVM\ndmi_bios_vendor|\nhostkey_ed25519|ssh-ed25519 AAAAC3Nza root@db1\n" +
	"@@local app\n{\"role\": \"db\", \"tier\": 2}\n" +
	"@@local site\n[general]\ndc = fra1\nrack=7\n" +
	"@@local broken\nthis is not a fact file\n"

func TestSetupNetworkHardwareSystemFacts(t *testing.T) {
	f := setupWithOutput(t, setupSectionsOutput)
	got := func(k string) string {
		b, _ := json.Marshal(f[k])
		return string(b)
	}
	want := map[string]string{
		"ansible_default_ipv4": `{"address":"10.1.2.3","alias":"eth0","broadcast":"10.1.2.255","gateway":"10.1.2.1","interface":"eth0",` +
			`"macaddress":"52:54:00:12:34:56","mtu":1500,"netmask":"255.255.255.0","network":"10.1.2.0","prefix":"24","type":"ether"}`,
		"ansible_default_ipv6":       `{"address":"2001:db8::3","gateway":"2001:db8::1","interface":"eth0","macaddress":"52:54:00:12:34:56","mtu":1500,"prefix":"64","scope":"global","type":"ether"}`,
		"ansible_interfaces":         `["lo","eth0","br0"]`,
		"ansible_all_ipv4_addresses": `["10.1.2.3","10.1.2.9","172.17.0.1"]`,
		"ansible_all_ipv6_addresses": `["2001:db8::3","fe80::1"]`,
		"ansible_lo":                 `{"active":true,"device":"lo","ipv4":{"address":"127.0.0.1","broadcast":"","netmask":"255.0.0.0","network":"127.0.0.0","prefix":"8"},"ipv6":[{"address":"::1","prefix":"128","scope":"host"}],"mtu":65536,"promisc":false,"type":"loopback"}`,
		"ansible_br0":                `{"active":false,"device":"br0","ipv4":{"address":"172.17.0.1","broadcast":"172.17.255.255","netmask":"255.255.0.0","network":"172.17.0.0","prefix":"16"},"macaddress":"52:54:00:aa:bb:cc","mtu":1450,"promisc":false,"type":"bridge"}`,
		"ansible_processor_count":    `2`, "ansible_processor_cores": `4`, "ansible_processor_threads_per_core": `2`,
		"ansible_processor_vcpus": `16`,
		"ansible_memory_mb":       `{"nocache":{"free":3100,"used":12900},"real":{"free":1000,"total":16000,"used":15000},"swap":{"cached":10,"free":1000,"total":2000,"used":1000}}`,
		"ansible_memfree_mb":      `1000`, "ansible_swaptotal_mb": `2000`,
		"ansible_mounts": `[{"block_available":300,"block_size":4096,"block_total":1000,"block_used":700,"device":"/dev/sda1","fstype":"xfs",` +
			`"inode_available":100,"inode_total":500,"inode_used":400,"mount":"/","options":"rw,relatime","size_available":1228800,"size_total":4096000,"uuid":"1111-2222"},` +
			`{"device":"/dev/sdb1","fstype":"ext4","mount":"/var/lib/my data","options":"rw","uuid":"N/A"}]`,
		"ansible_lsb":            `{"codename":"BlueOnyx","description":"Rocky Linux 9.3 (Blue Onyx)","id":"Rocky","major_release":"9","release":"9.3"}`,
		"ansible_dns":            `{"nameservers":["10.0.0.53","10.0.0.54"],"options":{"ndots":"2","rotate":true},"search":["corp.example","example"]}`,
		"ansible_uptime_seconds": `1234`,
		"ansible_loadavg":        `{"15m":0.1,"1m":0.5,"5m":0.25}`,
		"ansible_cmdline":        `{"BOOT_IMAGE":"/vmlinuz","console":"ttyS0","quiet":true,"ro":true}`,
		"ansible_proc_cmdline":   `{"BOOT_IMAGE":"/vmlinuz","console":["tty0","ttyS0"],"quiet":true,"ro":true}`,
		"ansible_selinux":        `{"config_mode":"enforcing","mode":"enforcing","policyvers":33,"status":"enabled","type":"targeted"}`,
		"ansible_fips":           `false`,
		"ansible_userspace_bits": `"64"`,
		"ansible_real_user_id":   `1000`, "ansible_effective_user_id": `0`,
		"ansible_user_gecos": `"Ops Team"`, "ansible_user_shell": `"/bin/zsh"`,
		"ansible_is_chroot":           `false`,
		"ansible_virtualization_type": `"docker"`, "ansible_virtualization_role": `"guest"`,
		"ansible_virtualization_tech_guest": `["container","docker"]`,
		"ansible_product_name":              `"KVM"`, "ansible_bios_vendor": `"NA"`,
		"ansible_ssh_host_key_ed25519_public": `"AAAAC3Nza"`, "ansible_ssh_host_key_ed25519_public_keytype": `"ssh-ed25519"`,
		"ansible_local": `{"app":{"role":"db","tier":2},"broken":"error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/broken.fact",` +
			`"site":{"general":{"dc":"fra1","rack":"7"}}}`,
		"ansible_domain":                     `"corp.example"`,
		"ansible_distribution_file_variety":  `"RedHat"`,
		"ansible_distribution_minor_version": `"3"`,
	}
	for k, w := range want {
		if g := got(k); g != w {
			t.Errorf("%s =\n  %s\nwant\n  %s", k, g, w)
		}
	}
	if _, ok := f["ansible_eth0_1"]; ok {
		t.Error("a secondary address's label became an interface")
	}
}

// TestSetupFactsOfThisMachine checks the gathered facts against the machine
// the test runs on, through the local connection.
func TestSetupFactsOfThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("facts checked against Linux")
	}
	mc := helperContext(t, nil)
	f := helperMustRun(t, mc, "setup", map[string]any{}).Facts
	lo, _ := f["ansible_lo"].(map[string]any)
	if lo["type"] != "loopback" || lo["ipv4"].(map[string]any)["address"] != "127.0.0.1" {
		t.Errorf("ansible_lo = %v", lo)
	}
	if f["ansible_processor_vcpus"] != runtime.NumCPU() {
		t.Errorf("ansible_processor_vcpus = %v, NumCPU %d", f["ansible_processor_vcpus"], runtime.NumCPU())
	}
	mem, _ := f["ansible_memory_mb"].(map[string]any)
	if real, _ := mem["real"].(map[string]any); real["total"] != f["ansible_memtotal_mb"] {
		t.Errorf("memory_mb = %v, memtotal_mb %v", mem, f["ansible_memtotal_mb"])
	}
	root := false
	for _, m := range f["ansible_mounts"].([]any) {
		if mm := m.(map[string]any); mm["mount"] == "/" && mm["size_total"].(int64) > 0 {
			root = true
		}
	}
	if _, err := os.Stat("/proc/mounts"); err == nil && !root {
		t.Errorf("no / in ansible_mounts: %v", f["ansible_mounts"])
	}
	out, err := exec.Command("ip", "-4", "route", "show", "default").Output()
	if err == nil {
		w := strings.Fields(string(out))
		def, _ := f["ansible_default_ipv4"].(map[string]any)
		for i := 0; i+1 < len(w); i++ {
			if w[i] == "dev" && def["interface"] != w[i+1] {
				t.Errorf("ansible_default_ipv4 = %v, route: %s", def, out)
			}
		}
	}
}
