package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/runbook-dev/runbook/internal/yamlerr"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

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

// yamlSyntaxError turns a parser error into an *Error with the line where
// the problem is (see internal/yamlerr).
func yamlSyntaxError(file string, data []byte, err error) error {
	line, problem := yamlerr.Locate(data, err)
	return &Error{File: file, Line: line, Msg: "YAML syntax error: " + problem}
}
