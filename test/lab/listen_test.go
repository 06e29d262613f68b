package lab

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listener is a bound TCP (listening) or UDP socket of the shared network
// namespace, with the processes holding it.
type listener struct {
	proto string
	ip    string
	port  int
	pids  []int
}

// listeningSockets reads /proc/net/{tcp,tcp6,udp,udp6} and maps each
// listening socket to the processes that hold it.
func listeningSockets() ([]listener, error) {
	byInode := map[string]*listener{}
	var order []string
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open("/proc/net/" + proto)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fl := strings.Fields(sc.Text())
			if len(fl) < 10 {
				continue
			}
			// TCP: 0A = LISTEN; UDP: 07 = unconnected (bound).
			if (strings.HasPrefix(proto, "tcp") && fl[3] != "0A") || (strings.HasPrefix(proto, "udp") && fl[3] != "07") {
				continue
			}
			ip, port, err := parseProcAddr(fl[1])
			if err != nil {
				f.Close()
				return nil, err
			}
			byInode[fl[9]] = &listener{proto: proto, ip: ip, port: port}
			order = append(order, fl[9])
		}
		f.Close()
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(target, "socket:[") {
			continue
		}
		if l, ok := byInode[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")]; ok {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			l.pids = append(l.pids, pid)
		}
	}
	var out []listener
	for _, ino := range order {
		out = append(out, *byInode[ino])
	}
	return out, nil
}

// parseProcAddr decodes "0100007F:0016" (IPv4) or the 32-digit IPv6 form;
// the address is stored as host-order 32-bit words.
func parseProcAddr(s string) (string, int, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("bad address %q", s)
	}
	b, err := hex.DecodeString(hexIP)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return "", 0, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return "", 0, err
	}
	ip := net.IP(b)
	if v4 := ip.To4(); v4 != nil && len(b) == 16 && !ip.Equal(net.IPv6zero) {
		ip = v4
	}
	return ip.String(), int(port), nil
}

func itoa(i int) string { return strconv.Itoa(i) }
