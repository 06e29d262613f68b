package eval

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"math/big"
	"strconv"
	"strings"
	"sync"
)

// password_hash: the crypt(3) hashes Ansible's filter makes through
// passlib (SHA-512 and SHA-256 crypt after Ulrich Drepper's specification,
// MD5 crypt), with passlib's checks and Ansible's defaults: 656000 rounds
// for sha512 and 535000 for sha256, written into the hash as passlib
// writes them, so a given salt gives exactly Ansible's string.

// cryptChars is crypt's base-64 alphabet, also the characters of a salt.
const cryptChars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptAlgo is one hash password_hash makes.
type cryptAlgo struct {
	id            string // $id$
	saltSize      int    // the most a salt may have, and a random one's size
	defaultRounds int    // Ansible's; 0: no rounds
	newHash       func() hash.Hash
	order         []int // the digest's bytes in the order crypt encodes them
}

var sha512Order = []int{0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7,
	50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38,
	18, 39, 60, 40, 61, 19, 62, 20, 41, 63}

var sha256Order = []int{0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17,
	18, 28, 8, 9, 19, 29, 31, 30}

var md5Order = []int{0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5, 11}

// cryptAlgos are the hash types by the names Ansible and passlib give them.
var cryptAlgos = map[string]*cryptAlgo{
	"sha512": {id: "6", saltSize: 16, defaultRounds: 656000, newHash: sha512.New, order: sha512Order},
	"sha256": {id: "5", saltSize: 16, defaultRounds: 535000, newHash: sha256.New, order: sha256Order},
	"md5":    {id: "1", saltSize: 8, newHash: md5.New, order: md5Order},
}

func init() {
	for _, n := range []string{"sha512", "sha256", "md5"} {
		cryptAlgos[n+"_crypt"] = cryptAlgos[n]
	}
}

// fnPasswordHash is password_hash(password, hashtype, salt, salt_size,
// rounds, ident). ident only matters to bcrypt, which is not available.
func fnPasswordHash(args ...any) (any, error) {
	password := str(args[0])
	name := str(args[1])
	algo := cryptAlgos[name]
	if algo == nil {
		return nil, fmt.Errorf("hash type %q is not supported (supported: sha512, sha256, md5)", name)
	}
	salt := ""
	if Truthy(args[2]) {
		salt = str(args[2])
		if strings.Trim(salt, cryptChars) != "" {
			return nil, fmt.Errorf("invalid characters in the salt (it takes %s)", cryptChars)
		}
		if len(salt) > algo.saltSize {
			return nil, fmt.Errorf("the salt is too long (%s takes at most %d characters)", name, algo.saltSize)
		}
	} else {
		size := algo.saltSize
		if Truthy(args[3]) {
			n, err := wholeNumber(args[3], "salt_size")
			if err != nil {
				return nil, err
			}
			if n < 0 || n > algo.saltSize {
				return nil, fmt.Errorf("salt_size must be between 0 and %d, got %d", algo.saltSize, n)
			}
			size = n
		}
		var err error
		if salt, err = randomSalt(size); err != nil {
			return nil, err
		}
	}
	rounds := algo.defaultRounds
	if Truthy(args[4]) {
		if algo.defaultRounds == 0 {
			return nil, fmt.Errorf("%s takes no rounds", name)
		}
		n, err := wholeNumber(args[4], "rounds")
		if err != nil {
			return nil, err
		}
		if n < 1000 || n > 999999999 {
			return nil, fmt.Errorf("rounds must be between 1000 and 999999999, got %d", n)
		}
		rounds = n
	}
	out := cryptHash(algo, []byte(password), []byte(salt), rounds)
	rememberSecrets(password, out)
	return out, nil
}

func randomSalt(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(cryptChars))))
		if err != nil {
			return "", err
		}
		b[i] = cryptChars[v.Int64()]
	}
	return string(b), nil
}

// cryptHash makes the whole "$id$[rounds=N$]salt$hash" string.
func cryptHash(a *cryptAlgo, pw, salt []byte, rounds int) string {
	var digest []byte
	prefix := "$" + a.id + "$"
	if a.defaultRounds == 0 {
		digest = md5Crypt(pw, salt)
	} else {
		digest = shaCrypt(a.newHash, pw, salt, rounds)
		if rounds != 5000 { // passlib leaves out the rounds crypt assumes
			prefix += "rounds=" + strconv.Itoa(rounds) + "$"
		}
	}
	return prefix + string(salt) + "$" + cryptBase64(digest, a.order)
}

// cryptBase64 encodes the digest's bytes, taken in order three at a time
// (the first of each three the most significant), least significant six
// bits first.
func cryptBase64(digest []byte, order []int) string {
	var b strings.Builder
	for i := 0; i < len(order); i += 3 {
		n := min(3, len(order)-i)
		var w uint32
		for j := range n {
			w = w<<8 | uint32(digest[order[i+j]])
		}
		for range n + 1 {
			b.WriteByte(cryptChars[w&0x3f])
			w >>= 6
		}
	}
	return b.String()
}

// repeatTo is s repeated to n bytes.
func repeatTo(s []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, s[:min(len(s), n-len(out))]...)
	}
	return out
}

func sum(h func() hash.Hash, parts ...[]byte) []byte {
	d := h()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// shaCrypt is SHA-crypt's digest (Drepper's specification, steps 1-21).
func shaCrypt(h func() hash.Hash, pw, salt []byte, rounds int) []byte {
	b := sum(h, pw, salt, pw)
	a := h()
	a.Write(pw)
	a.Write(salt)
	a.Write(repeatTo(b, len(pw)))
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(b)
		} else {
			a.Write(pw)
		}
	}
	c := a.Sum(nil)
	dp := h()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))
	ds := h()
	for range 16 + int(c[0]) {
		ds.Write(salt)
	}
	return cryptRounds(h, c, p, repeatTo(ds.Sum(nil), len(salt)), rounds)
}

// cryptRounds is the loop both crypts share: each round hashes the last
// digest c with the password p and the salt s in an order set by the
// round's number.
func cryptRounds(h func() hash.Hash, c, p, s []byte, rounds int) []byte {
	for i := range rounds {
		r := h()
		if i&1 != 0 {
			r.Write(p)
		} else {
			r.Write(c)
		}
		if i%3 != 0 {
			r.Write(s)
		}
		if i%7 != 0 {
			r.Write(p)
		}
		if i&1 != 0 {
			r.Write(c)
		} else {
			r.Write(p)
		}
		c = r.Sum(c[:0])
	}
	return c
}

// md5Crypt is the FreeBSD MD5 crypt digest ($1$).
func md5Crypt(pw, salt []byte) []byte {
	alt := sum(md5.New, pw, salt, pw)
	a := md5.New()
	a.Write(pw)
	a.Write([]byte("$1$"))
	a.Write(salt)
	a.Write(repeatTo(alt, len(pw)))
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write([]byte{0})
		} else {
			a.Write(pw[:1])
		}
	}
	return cryptRounds(md5.New, a.Sum(nil), pw, salt, 1000)
}

// madeSecrets are the passwords password_hash was given and the hashes it
// made: output masks them as it masks secret variables (see
// ProducedSecrets), whatever variable they end up in.
var madeSecrets struct {
	sync.Mutex
	seen map[string]bool
	list []string
}

// maxMadeSecrets bounds the list; a run hashes a handful of passwords.
const maxMadeSecrets = 10000

func rememberSecrets(values ...string) {
	madeSecrets.Lock()
	defer madeSecrets.Unlock()
	if madeSecrets.seen == nil {
		madeSecrets.seen = map[string]bool{}
	}
	for _, v := range values {
		if v != "" && !madeSecrets.seen[v] && len(madeSecrets.list) < maxMadeSecrets {
			madeSecrets.seen[v] = true
			madeSecrets.list = append(madeSecrets.list, v)
		}
	}
}

// ProducedSecrets returns the values expressions produced that output must
// mask: password_hash's passwords and hashes. The runner adds them to its
// redactor after rendering a task's arguments.
func ProducedSecrets() []string {
	madeSecrets.Lock()
	defer madeSecrets.Unlock()
	return madeSecrets.list[:len(madeSecrets.list):len(madeSecrets.list)]
}
