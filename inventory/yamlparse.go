package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml2 "sigs.k8s.io/yaml/goyaml.v2"
	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchorRE = regexp.MustCompile(`unknown anchor '(.*)' referenced`)
)

// yamlParserProblems are the messages of the YAML parser (as opposed to the
// scanner); the parser reports 0-based lines for them.
var yamlParserProblems = map[string]bool{
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

// parseYAMLDocs decodes every document of data into nodes. Syntax errors are
// returned as *Error naming the line.
func parseYAMLDocs(file string, data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, &Error{File: file, Msg: fmt.Sprintf("YAML parser failure: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		derr := dec.Decode(&n)
		if errors.Is(derr, io.EOF) {
			return docs, nil
		}
		if derr != nil {
			return docs, yamlSyntaxError(file, data, derr)
		}
		docs = append(docs, &n)
	}
}

// yamlSyntaxError turns a parser error into an *Error with a line. The YAML
// v3 parser reports the line where the enclosing block began, so the line
// is taken from the v2 parser, which reports where the problem is, when it
// fails too.
func yamlSyntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		return &Error{File: file, Line: lineOf(data, "*"+m[1]), Msg: "YAML syntax error: " + msg}
	}
	line, problem := splitYAMLLine(err.Error())
	if err2 := yamlV2Error(data); err2 != nil {
		if l2, p2 := splitYAMLLine(err2.Error()); p2 != "" {
			line, problem = l2, p2
		}
	}
	if problem == "" {
		return &Error{File: file, Msg: "YAML syntax error: " + msg}
	}
	return &Error{File: file, Line: line, Msg: "YAML syntax error: " + problem}
}

// splitYAMLLine extracts the 1-based line and the problem from a parser
// error; problem is "" when the error is not a syntax error.
func splitYAMLLine(msg string) (int, string) {
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if !strings.HasPrefix(msg, "yaml: ") {
		return 0, ""
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if yamlParserProblems[msg] || line == 0 {
		line++
	}
	return line, msg
}

// yamlV2Error returns the first syntax error the v2 parser finds in data.
func yamlV2Error(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil
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
