package eval

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSeededRandomIsPythons: random and shuffle with a seed give what
// ansible-core 2.14 gives (Python 3.11's random.Random(seed) drawing with
// randrange, choice and shuffle), so {{ 59 | random(seed=inventory_hostname) }}
// puts a host's cron job at the minute it had under Ansible. The expected
// values were printed by Python 3.11 for the same seeds and calls.
func TestSeededRandomIsPythons(t *testing.T) {
	vars := map[string]any{"inventory_hostname": "web1"}
	checkEvals(t, vars, []evalCase{
		{"59 | random(seed=inventory_hostname)", 52},
		{"60 | random(seed='master0')", 49},
		{"59 | random(seed='node-1.example.com')", 15},
		{"59 | random(seed='')", 29},
		{"59 | random(seed=0)", 54},
		{"59 | random(seed=42)", 40},
		{"59 | random(seed=-42)", 40},
		{"59 | random(seed=1.5)", 35},
		{"59 | random(seed=3.0)", 15},
		{"59 | random(seed=true)", 8},
		{"1000 | random(seed=0.1)", 825},
		{"1000 | random(seed=-2.75)", 153},
		{"1000 | random(seed=1e300)", 267},
		{"1000 | random(seed='ünïcode')", 352},
		{"1000000 | random(seed='x')", 661428},
		{"1099511627776 | random(seed='big')", 247717398425}, // more than 32 random bits
		{"100 | random(start=10, step=7, seed='s')", 59},
		{"0 | random(-10, 3, seed='neg')", -4},
		{"(-20) | random(0, -3, seed='neg2')", -18},
		{"['a', 'b', 'c', 'd'] | random(seed='pick')", "d"},
		{"'abcdef' | random(seed='str')", "a"},
		{"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10] | shuffle(seed='host1')", []any{1, 10, 5, 9, 2, 7, 6, 3, 4, 8}},
		{"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10] | shuffle(seed=7)", []any{9, 4, 2, 5, 8, 1, 10, 7, 3, 6}},
		{"'abc' | shuffle(seed='q')", []any{"a", "c", "b"}},
	})
	long := make([]any, 50)
	for i := range long {
		long[i] = i
	}
	got, err := Eval("l | shuffle(seed='long')", map[string]any{"l": long})
	want := []any{45, 11, 12, 22, 28, 46, 40, 44, 43, 36, 4, 47, 49, 41, 18, 15, 21, 13, 14, 5, 38, 10, 26, 35, 32, 30, 6, 1, 20,
		48, 25, 34, 8, 39, 24, 29, 37, 33, 16, 0, 3, 27, 19, 42, 17, 7, 2, 9, 31, 23}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("shuffle of 50 items with seed 'long' = %v, %v; want %v", got, err, want)
	}
}

// TestUnseededRandom: without a seed the draws vary and stay in range;
// shuffle keeps the items (a false seed is no seed, as in Ansible).
func TestUnseededRandom(t *testing.T) {
	seen := map[any]bool{}
	for range 20 {
		v, err := Eval("1000000 | random(start=10)", nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := v.(int); !ok || n < 10 || n >= 1000000 {
			t.Fatalf("random = %v, want a number in [10, 1000000)", v)
		}
		seen[v] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 unseeded draws gave %d distinct values", len(seen))
	}
	for _, e := range []string{"[3, 1, 2, 5, 4] | shuffle", "[3, 1, 2, 5, 4] | shuffle(seed=0)"} {
		v, err := Eval(e, nil)
		l, ok := v.([]any)
		if err != nil || !ok {
			t.Fatalf("%s = %v, %v", e, v, err)
		}
		ints := []int{}
		for _, x := range l {
			ints = append(ints, x.(int))
		}
		slices.Sort(ints)
		if !slices.Equal(ints, []int{1, 2, 3, 4, 5}) {
			t.Errorf("%s = %v, want the same items", e, v)
		}
	}
}

// TestRandomErrors: what Python's randrange and choice refuse.
func TestRandomErrors(t *testing.T) {
	checkEvalErrors(t, nil, map[string]string{
		"10 | random(20, seed='x')": "random(): empty range for random (start 20, end 10, step 1)",
		"10 | random(step=-1)":      "random(): empty range",
		"['a'] | random(start=1)":   "random(): start and step can only be used with integer values",
		"[] | random":               "random(): cannot choose from an empty sequence",
		"2.5 | random":              "random(): random takes a list, a string or a whole number, got number",
		"10 | random(seed=[1])":     "random(): seed must be a string or a number, got list",
		"10 | random(start=1.5)":    "random(): start must be a whole number, got number",
		"none | shuffle":            "shuffle(): expected a list, got none",
	})
}

// TestPasswordHashIsAnsibles: with a salt the hash is exactly what
// ansible-core 2.14 (passlib 1.7.4) printed: its default rounds written
// into the hash (656000 for sha512, 535000 for sha256), none for 5000.
func TestPasswordHashIsAnsibles(t *testing.T) {
	checkEvals(t, nil, []evalCase{
		{"'secret' | password_hash('sha512', 'salt')", "$6$rounds=656000$salt$41H1sjKBtQTFyyGjjTBTTBJE77ML4peiWDjmyYWu7IDBGgiWKFktmGmI3Q1M51NmTpapd0aq6.FbalaaqLq5p1"},
		{"'secret' | password_hash('sha256', 'salt')", "$5$rounds=535000$salt$sd/R9058UUcvYxns/fYtref9B910QMnAwP6kXGAW7c0"},
		{"'secret' | password_hash('md5', 'salt')", "$1$salt$ez2vlPGdaLYkJam5pWs/Y1"},
		{"'secret' | password_hash('sha512', 'saltsaltsaltsalt', rounds=5000)", "$6$saltsaltsaltsalt$ph0yGsyjzqdeFaon7.gJZo8eAG5/rj9/JdzOu1Rl7dKzBYg3xgvl7T2VQ2Rt81bc5AXkdA54r0p8QvC1omD6R1"},
		{"'secret' | password_hash('sha512', 'abc', rounds=1000)", "$6$rounds=1000$abc$MqEcPZUYRGGcOeq7PhMpfjfu/F0HrVEI0OlZBijWvO8mSG77iNUDP5MqFceKpJTBc8iITVtNyLiNTRNCxv6oh0"},
		{"'secret' | password_hash(hashtype='sha512_crypt', salt='x.y/Z')", "$6$rounds=656000$x.y/Z$nUPOUYpGqRlcV1x2aVe7uP6jn/TsIiWuja1mbDE2l5CZ8ChX0YPKZc.R55i898brasJU3Ost0gEaiOc./68Xc/"},
		{"'' | password_hash('sha512', 'salt')", "$6$rounds=656000$salt$5V.jeVqy8qu6gadffygyJXMOzIScV0HYxOjKyQIWijvS4esUpNK1SdkvYGhWzrlklRTfSJe5bmQ4dus1qDmZc0"},
		{"'a much longer password that is more than sixty-four bytes long, yes indeed it is' | password_hash('sha512', 'salt', rounds=1234)", "$6$rounds=1234$salt$.IQns7idbwuxxaYeMAU.NMLNSmgc8ioEawEW/TZ6p/J7mij2bhbg5BU0XgEwPnxtbm4H8GMaF6MoqWQ624fWX1"},
		{"'pässwörd' | password_hash('sha256', 'salt', rounds=1000)", "$5$rounds=1000$salt$fDdn8ed2S4s.4f101kngd1hJ0Qtm.jJioG52iJCshz."},
		{"'abcdefghijklmnopq' | password_hash('md5', 'abcdefgh')", "$1$abcdefgh$1exCsVzjxxkSQsZSpd9Zi0"},
		{"'secret' | password_hash('sha512', 'salt', ident='2b', rounds=2000)", "$6$rounds=2000$salt$u7cSKlbs430YNh4c8E2siLp24BOxTp27JE5LCV0Yqe9JXjty9hpsnBlkASUIX2g7xIprOmQMY/C0Ph3Vp1vTI/"},
	})
	// Without a salt: a random one of the algorithm's size (or salt_size).
	for expr, prefix := range map[string]string{
		"'secret' | password_hash":                                     "$6$rounds=656000$",
		"'secret' | password_hash('sha256', rounds=5000)":              "$5$",
		"'secret' | password_hash('md5')":                              "$1$",
		"'secret' | password_hash('sha512', salt_size=5, rounds=1000)": "$6$rounds=1000$",
	} {
		a, err1 := Eval(expr, nil)
		b, err2 := Eval(expr, nil)
		as, _ := a.(string)
		if err1 != nil || err2 != nil || !strings.HasPrefix(as, prefix) || a == b {
			t.Errorf("%s: %v %v / %v %v, want two different hashes starting %q", expr, a, err1, b, err2, prefix)
		}
	}
	v, _ := Eval("'secret' | password_hash('sha512', salt_size=5, rounds=1000)", nil)
	if parts := strings.Split(v.(string), "$"); len(parts) != 5 || len(parts[3]) != 5 {
		t.Errorf("salt_size=5 gave %v", v)
	}
	// The password and the hash are secrets for output to mask.
	got := ProducedSecrets()
	if !slices.Contains(got, "pässwörd") || !slices.Contains(got, "$1$abcdefgh$1exCsVzjxxkSQsZSpd9Zi0") {
		t.Errorf("ProducedSecrets() lacks a password or its hash: %v", got)
	}
}

// TestPasswordHashErrors: passlib's refusals, as errors naming the filter.
func TestPasswordHashErrors(t *testing.T) {
	checkEvalErrors(t, nil, map[string]string{
		"'s' | password_hash('sha512', 'sa!t')":              "password_hash(): invalid characters in the salt",
		"'s' | password_hash('sha512', 'saltsaltsaltsaltx')": "password_hash(): the salt is too long (sha512 takes at most 16 characters)",
		"'s' | password_hash('md5', 'salt', rounds=1000)":    "password_hash(): md5 takes no rounds",
		"'s' | password_hash('sha512', 'salt', rounds=10)":   "password_hash(): rounds must be between 1000 and 999999999, got 10",
		"'s' | password_hash('blowfish')":                    `password_hash(): hash type "blowfish" is not supported (supported: sha512, sha256, md5)`,
		"'s' | password_hash('md5', salt_size=9)":            "password_hash(): salt_size must be between 0 and 8, got 9",
	})
}

// checkEvalErrors evaluates each expression, wanting an error containing
// the text given for it.
func checkEvalErrors(t *testing.T, vars map[string]any, tests map[string]string) {
	t.Helper()
	for expr, want := range tests {
		_, err := Eval(expr, vars)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Eval(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
}
