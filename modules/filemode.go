package modules

// File modes: chmod's octal and symbolic notation, and fs.FileMode to and
// from chmod's numbers.

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
)

var octalMode = regexp.MustCompile(`^0*[0-7]{1,4}$`)

// parseMode computes the permission bits (07777) that spec gives a path whose
// current bits are cur: octal, or chmod-style symbolic clauses. An empty
// "who" means a (the umask is not applied).
func parseMode(spec string, cur uint32, isDir bool) (uint32, error) {
	s := strings.TrimSpace(spec)
	if octalMode.MatchString(s) {
		v, _ := strconv.ParseUint(s, 8, 32)
		return uint32(v), nil
	}
	bad := func(why string) (uint32, error) {
		return 0, fmt.Errorf("invalid mode %q: %s (use octal such as \"0644\" or symbolic such as \"u=rw,g=r,o=r\")", spec, why)
	}
	if s == "" {
		return bad("empty")
	}
	m := cur & 0o7777
	for _, clause := range strings.Split(s, ",") {
		i, who := 0, uint32(0)
		for ; i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0; i++ {
			who |= classBits(clause[i], 0o4700, 0o2070, 0o1007, 0o7777)
		}
		if who == 0 {
			who = 0o7777
		}
		if i == len(clause) {
			return bad("expected an operator (+, - or =) in " + strconv.Quote(clause))
		}
		for i < len(clause) {
			op := clause[i]
			if op != '+' && op != '-' && op != '=' {
				return bad(fmt.Sprintf("unexpected %q in %q", op, clause))
			}
			i++
			start, bits := i, uint32(0)
			for ; i < len(clause) && strings.IndexByte("rwxXstugo", clause[i]) >= 0; i++ {
				switch c := clause[i]; c {
				case 'r':
					bits |= 0o444
				case 'w':
					bits |= 0o222
				case 'x':
					bits |= 0o111
				case 'X':
					if isDir || m&0o111 != 0 {
						bits |= 0o111
					}
				case 's':
					bits |= 0o6000
				case 't':
					bits |= 0o1000
				default: // u, g or o: copy that class's bits, and nothing else
					if i != start || i+1 < len(clause) && strings.IndexByte("+-=", clause[i+1]) < 0 {
						return bad(fmt.Sprintf("%q must stand alone after the operator", c))
					}
					bits |= (m >> classBits(c, 6, 3, 0, 0) & 7) * 0o111
				}
			}
			bits &= who
			switch op {
			case '+':
				m |= bits
			case '-':
				m &^= bits
			case '=':
				m = m&^who | bits
			}
		}
	}
	return m, nil
}

// classBits picks the value for a chmod class letter: u, g, o or a.
func classBits(c byte, u, g, o, a uint32) uint32 {
	switch c {
	case 'u':
		return u
	case 'g':
		return g
	case 'o':
		return o
	}
	return a
}

// checkModeSyntax validates a mode parameter before anything runs.
func checkModeSyntax(a Args, allowPreserve bool) error {
	s := a.String("mode")
	if s == "" || s == "preserve" && allowPreserve {
		return nil
	}
	_, err := parseMode(s, 0, false)
	return err
}

// modeBits are the bits of an fs.FileMode that chmod sets: the permissions,
// set-id and sticky bits.
const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// specialBits pairs fs.FileMode's set-id and sticky bits with chmod's.
var specialBits = [3]struct {
	bit  fs.FileMode
	unix uint32
}{{fs.ModeSetuid, 0o4000}, {fs.ModeSetgid, 0o2000}, {fs.ModeSticky, 0o1000}}

// unixPerm and goMode convert between fs.FileMode and chmod's numbers.
func unixPerm(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	for _, s := range specialBits {
		if m&s.bit != 0 {
			u |= s.unix
		}
	}
	return u
}

func goMode(u uint32) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	for _, s := range specialBits {
		if u&s.unix != 0 {
			m |= s.bit
		}
	}
	return m
}

func fmtMode(u uint32) string { return fmt.Sprintf("%04o", u) }
