// Package yamlerr finds where a YAML syntax error really is. The goyaml.v3
// parser often reports the line where the enclosing block began, several
// lines above the problem; the v2 parser reports the problem's own line, so
// it is asked again when v3 fails. Playbooks and inventories both use it.
package yamlerr

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml2 "sigs.k8s.io/yaml/goyaml.v2"
)

var (
	lineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	anchorRE = regexp.MustCompile(`unknown anchor '(.*)' referenced`)
)

// parserProblems are the messages of the YAML parser (as opposed to the
// scanner); the parser reports 0-based lines for them.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// Locate returns the 1-based line of a YAML syntax error err found in data
// (0 when unknown) and the problem without the "yaml: line N:" prefix.
func Locate(data []byte, err error) (line int, problem string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		return lineOf(data, "*"+m[1]), msg
	}
	line, problem = split(err.Error())
	// For an unterminated quote or flow collection v3 names the line where
	// it opened, v2 the end of the file: keep v3's line there.
	if strings.Contains(problem, "unexpected end of stream") {
		return line, problem + " (an unterminated quote or bracket starts here)"
	}
	if err2 := v2Error(data); err2 != nil {
		if l2, p2 := split(err2.Error()); p2 != "" {
			line, problem = l2, p2
		}
	}
	if problem == "" {
		return 0, msg
	}
	return line, problem
}

// split extracts the 1-based line and the problem from a parser error;
// problem is "" when the error is not a syntax error.
func split(msg string) (int, string) {
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if !strings.HasPrefix(msg, "yaml: ") {
		return 0, ""
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if parserProblems[msg] || line == 0 {
		line++
	}
	return line, msg
}

// v2Error returns the first syntax error the v2 parser finds in data.
func v2Error(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil // v2 crashed on input v3 rejected cleanly: keep v3's answer
		}
	}()
	dec := yaml2.NewDecoder(bytes.NewReader(data))
	for {
		var v struct{}
		err := dec.Decode(&v)
		var te *yaml2.TypeError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &te):
			continue
		case err != nil:
			return err
		}
	}
}

// lineOf returns the 1-based line of the first occurrence of s, or 0.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}
