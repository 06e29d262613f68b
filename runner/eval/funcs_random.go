package eval

import (
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// random and shuffle. With a seed they must give what Ansible gives, since
// operators spread cron minutes with {{ 59 | random(seed=inventory_hostname) }}
// and expect the minute a host had under Ansible: so a seeded generator is
// Python's random.Random (MT19937, seeded as Python seeds it) drawing as
// Python's randrange, choice and shuffle draw. Without a seed the numbers
// come from crypto/rand, as Ansible's SystemRandom does.

// pyRandom is Python's Mersenne Twister.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = len(r.mt)
}

// initByArray is MT19937's init_by_array, which Python's seed calls with
// the seed's 32-bit words, least significant first.
func (r *pyRandom) initByArray(key []uint32) {
	const n = 624
	r.initGenrand(19650218)
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

func (r *pyRandom) uint32() uint32 {
	const n, m = 624, 397
	if r.idx >= n {
		for k := range n {
			y := (r.mt[k] & 0x80000000) | (r.mt[(k+1)%n] & 0x7fffffff)
			v := r.mt[(k+m)%n] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	return y ^ (y >> 18)
}

// getrandbits is Python's getrandbits(k): 32-bit draws filling the number
// from its least significant word up, the last one cut to what is left.
func (r *pyRandom) getrandbits(k int) *big.Int {
	out := new(big.Int)
	for shift := 0; k > 0; shift, k = shift+32, k-32 {
		w := r.uint32()
		if k < 32 {
			w >>= 32 - k
		}
		out.Or(out, new(big.Int).Lsh(big.NewInt(int64(w)), uint(shift)))
	}
	return out
}

// below is Python's _randbelow_with_getrandbits: a number in [0, n).
func (r *pyRandom) below(n int) int {
	k := bits.Len(uint(n))
	for k <= 32 {
		if v := int(r.uint32() >> (32 - k)); v < n {
			return v
		}
	}
	for {
		if v := r.getrandbits(k); v.IsInt64() && v.Int64() < int64(n) {
			return int(v.Int64())
		}
	}
}

// newPyRandom seeds as Python's random.Random(seed) does: a string by its
// UTF-8 bytes followed by their SHA-512, read as one big-endian number; an
// integer by its absolute value; a boolean as 0 or 1; a float by Python's
// hash of it.
func newPyRandom(seed any) (*pyRandom, error) {
	n := new(big.Int)
	switch s := seed.(type) {
	case string:
		b := []byte(s)
		sum := sha512.Sum512(b)
		n.SetBytes(append(b, sum[:]...))
	case bool:
		if s {
			n.SetInt64(1)
		}
	case float64:
		n.SetUint64(uint64(pyHashFloat(s))) // a negative hash as C's size_t
	default:
		if !isNumber(seed) {
			return nil, fmt.Errorf("seed must be a string or a number, got %s", typeName(seed))
		}
		i, err := toInt(seed)
		if err != nil {
			return nil, err
		}
		n.SetInt64(int64(i))
		n.Abs(n)
	}
	words := (n.BitLen()-1)/32 + 1
	if n.BitLen() == 0 {
		words = 1
	}
	key := make([]uint32, words)
	mask := big.NewInt(0xffffffff)
	for i := range key {
		key[i] = uint32(new(big.Int).And(new(big.Int).Rsh(n, uint(32*i)), mask).Uint64())
	}
	r := &pyRandom{}
	r.initByArray(key)
	return r, nil
}

// pyHashFloat is CPython's hash of a float (reduced modulo 2**61 - 1, so
// 3.0 hashes as 3).
func pyHashFloat(v float64) int64 {
	const hashBits = 61
	const modulus = uint64(1)<<hashBits - 1
	if math.IsInf(v, 0) {
		if v > 0 {
			return 314159
		}
		return -314159
	}
	if math.IsNaN(v) {
		return 0
	}
	m, e := math.Frexp(v)
	sign := int64(1)
	if m < 0 {
		sign, m = -1, -m
	}
	var x uint64
	for m != 0 {
		x = ((x << 28) & modulus) | x>>(hashBits-28)
		m *= 268435456.0
		e -= 28
		y := uint64(m)
		m -= float64(y)
		x += y
		if x >= modulus {
			x -= modulus
		}
	}
	if e >= 0 {
		e %= hashBits
	} else {
		e = hashBits - 1 - ((-1 - e) % hashBits)
	}
	x = ((x << uint(e)) & modulus) | x>>uint(hashBits-e)
	h := int64(x) * sign
	if h == -1 {
		h = -2
	}
	return h
}

// cryptoBelow is a number in [0, n) from crypto/rand.
func cryptoBelow(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(v.Int64()), nil
}

// drawer returns the function that draws a number below n: Python's
// seeded generator, or crypto/rand when seed is nil (or, for shuffle,
// false by truthiness).
func drawer(seed any, seeded bool) (func(int) (int, error), error) {
	if !seeded {
		return cryptoBelow, nil
	}
	r, err := newPyRandom(seed)
	if err != nil {
		return nil, err
	}
	return func(n int) (int, error) { return r.below(n), nil }, nil
}

// fnRandom is random(end, start, step, seed): for a number, a number from
// range(start, end, step) as Python's randrange draws it; for a list or a
// string, an item as Python's choice does.
func fnRandom(args ...any) (any, error) {
	end, start, step, seed := args[0], args[1], args[2], args[3]
	draw, err := drawer(seed, seed != nil)
	if err != nil {
		return nil, err
	}
	if _, isInt := end.(int); isInt {
		return randrange(draw, end.(int), start, step)
	}
	if isNumber(end) || end == nil {
		return nil, fmt.Errorf("random takes a list, a string or a whole number, got %s", typeName(end))
	}
	if Truthy(start) || Truthy(step) {
		return nil, fmt.Errorf("start and step can only be used with integer values")
	}
	l, err := iterable(end)
	if err != nil {
		return nil, fmt.Errorf("random takes a list, a string or a whole number: %w", err)
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("cannot choose from an empty sequence")
	}
	i, err := draw(len(l))
	if err != nil {
		return nil, err
	}
	return l[i], nil
}

// randrange is Python's randrange(start, stop, step); a start or step that
// is false by truthiness is 0 and 1, as in Ansible.
func randrange(draw func(int) (int, error), stop int, startArg, stepArg any) (any, error) {
	start, step := 0, 1
	var err error
	if Truthy(startArg) {
		if start, err = wholeNumber(startArg, "start"); err != nil {
			return nil, err
		}
	}
	if Truthy(stepArg) {
		if step, err = wholeNumber(stepArg, "step"); err != nil {
			return nil, err
		}
	}
	width := stop - start
	var n int
	switch {
	case step > 0:
		n = (width + step - 1) / step
		if width+step-1 < 0 {
			n = -1 // Python's // rounds down; only the sign matters here
		}
	default:
		n = (width + step + 1) / step
		if width+step+1 > 0 {
			n = -1
		}
	}
	if n <= 0 {
		return nil, fmt.Errorf("empty range for random (start %d, end %d, step %d)", start, stop, step)
	}
	i, err := draw(n)
	if err != nil {
		return nil, err
	}
	return start + step*i, nil
}

func wholeNumber(v any, name string) (int, error) {
	f, isFloat := v.(float64)
	if !isNumber(v) || isFloat && f != math.Trunc(f) {
		return 0, fmt.Errorf("%s must be a whole number, got %s", name, typeName(v))
	}
	return toInt(v)
}

// fnShuffle is shuffle(l, seed): a shuffled copy, as Python's shuffle
// moves the items (seeded when seed is true by truthiness, as in Ansible).
func fnShuffle(args ...any) (any, error) {
	l, err := iterable(args[0])
	if err != nil {
		return nil, err
	}
	draw, err := drawer(args[1], Truthy(args[1]))
	if err != nil {
		return nil, err
	}
	out := append([]any{}, l...)
	for i := len(out) - 1; i > 0; i-- {
		j, err := draw(i + 1)
		if err != nil {
			return nil, err
		}
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
