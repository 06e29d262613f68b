package modules

import (
	"net"
	"strconv"
	"strings"
)

// Network facts under Ansible's names: ansible_interfaces, one
// ansible_<device> map per interface, ansible_all_ipv4_addresses,
// ansible_all_ipv6_addresses and ansible_default_ipv4/ipv6. The data comes
// from /sys/class/net (one "name|mac|mtu|operstate|type|flags|kind" line per
// device), `ip -o addr show` and the default routes.

// setupIfaceTypes maps /sys/class/net/*/type (ARPHRD_*) to Ansible's names.
var setupIfaceTypes = map[string]string{"1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "65534": "tunnel"}

// setupNetworkFacts adds the network facts to f.
func setupNetworkFacts(f map[string]any, sec map[string][]string) {
	ifaces := map[string]map[string]any{}
	var names []any
	for _, line := range sec["net"] {
		p := strings.Split(line, "|")
		if len(p) < 7 || p[0] == "" {
			continue
		}
		dev := map[string]any{"device": p[0], "active": p[3] != "down", "type": "unknown", "promisc": false}
		if p[1] != "" && p[1] != "00:00:00:00:00:00" {
			dev["macaddress"] = p[1]
		}
		if mtu, err := strconv.Atoi(p[2]); err == nil {
			dev["mtu"] = mtu
		}
		if t, ok := setupIfaceTypes[p[4]]; ok {
			dev["type"] = t
		}
		if flags, err := strconv.ParseInt(p[5], 0, 64); err == nil {
			dev["promisc"] = flags&0x100 != 0
		}
		if p[6] != "" {
			dev["type"] = p[6]
		}
		ifaces[p[0]] = dev
		names = append(names, p[0])
	}
	var all4, all6 []any
	for _, line := range sec["addr"] {
		setupAddrLine(ifaces, line, &all4, &all6)
	}
	def4 := setupDefaultRoute(sec["route4"], ifaces, "ipv4")
	def6 := setupDefaultRoute(sec["route6"], ifaces, "ipv6")
	if names == nil {
		names = []any{}
	}
	f["ansible_interfaces"] = names
	f["ansible_all_ipv4_addresses"] = orEmpty(all4)
	f["ansible_all_ipv6_addresses"] = orEmpty(all6)
	f["ansible_default_ipv4"] = def4
	f["ansible_default_ipv6"] = def6
	for name, dev := range ifaces {
		// Ansible replaces ":" (alias labels) so the name works in templates.
		f["ansible_"+strings.ReplaceAll(name, ":", "_")] = dev
	}
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// setupAddrLine reads one `ip -o addr show` line:
// "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\ ...".
func setupAddrLine(ifaces map[string]map[string]any, line string, all4, all6 *[]any) {
	line, _, _ = strings.Cut(line, `\`)
	w := strings.Fields(line)
	if len(w) < 4 {
		return
	}
	dev := ifaces[w[1]]
	if dev == nil {
		return
	}
	secondary := false
	for _, x := range w {
		if x == "secondary" {
			secondary = true
		}
	}
	switch w[2] {
	case "inet":
		addr, prefix, ok := strings.Cut(w[3], "/")
		if !ok {
			prefix = "32"
		}
		ip := net.ParseIP(addr).To4()
		bits, err := strconv.Atoi(prefix)
		if ip == nil || err != nil || bits < 0 || bits > 32 {
			return
		}
		mask := net.CIDRMask(bits, 32)
		entry := map[string]any{"address": addr, "broadcast": "", "netmask": net.IP(mask).String(),
			"network": ip.Mask(mask).String(), "prefix": prefix}
		for i := 4; i+1 < len(w); i++ {
			if w[i] == "brd" {
				entry["broadcast"] = w[i+1]
			}
		}
		if _, has := dev["ipv4"]; !has && !secondary {
			dev["ipv4"] = entry
		} else {
			sec, _ := dev["ipv4_secondaries"].([]any)
			dev["ipv4_secondaries"] = append(sec, entry)
		}
		if !strings.HasPrefix(addr, "127.") {
			*all4 = append(*all4, addr)
		}
	case "inet6":
		addr, prefix, _ := strings.Cut(w[3], "/")
		scope := ""
		for i := 4; i+1 < len(w); i++ {
			if w[i] == "scope" {
				scope = w[i+1]
			}
			if w[i] == "peer" {
				_, prefix, _ = strings.Cut(w[i+1], "/")
			}
		}
		list, _ := dev["ipv6"].([]any)
		dev["ipv6"] = append(list, map[string]any{"address": addr, "prefix": prefix, "scope": scope})
		if addr != "::1" {
			*all6 = append(*all6, addr)
		}
	}
}

// setupDefaultRoute builds ansible_default_ipv4/ipv6 from the first default
// route ("default via GW dev IF [src ADDR] ..."): the route's interface and
// its source address, or the interface's first address of that family.
func setupDefaultRoute(routes []string, ifaces map[string]map[string]any, family string) map[string]any {
	out := map[string]any{}
	for _, line := range routes {
		w := strings.Fields(line)
		if len(w) == 0 || w[0] != "default" {
			continue
		}
		var gw, devName, src string
		for i := 1; i+1 < len(w); i++ {
			switch w[i] {
			case "via":
				gw = w[i+1]
			case "dev":
				devName = w[i+1]
			case "src":
				src = w[i+1]
			}
		}
		dev := ifaces[devName]
		if dev == nil {
			continue
		}
		out["interface"], out["gateway"] = devName, gw
		addrs := setupFamilyAddrs(dev, family)
		for _, a := range addrs {
			if src == "" || a["address"] == src {
				for k, v := range a {
					out[k] = v
				}
				break
			}
		}
		if src != "" {
			out["address"] = src
		}
		if family == "ipv4" {
			out["alias"] = devName
		}
		for _, k := range []string{"macaddress", "mtu", "type"} {
			if v, ok := dev[k]; ok {
				out[k] = v
			}
		}
		break
	}
	return out
}

// setupFamilyAddrs lists an interface's addresses of one family, primary first.
func setupFamilyAddrs(dev map[string]any, family string) []map[string]any {
	var out []map[string]any
	if family == "ipv4" {
		if a, ok := dev["ipv4"].(map[string]any); ok {
			out = append(out, a)
		}
		sec, _ := dev["ipv4_secondaries"].([]any)
		for _, a := range sec {
			out = append(out, a.(map[string]any))
		}
		return out
	}
	list, _ := dev["ipv6"].([]any)
	for _, a := range list {
		m := a.(map[string]any)
		if m["scope"] == "global" {
			out = append(out, m)
		}
	}
	return out
}
