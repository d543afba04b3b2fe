package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeFile reads the file at path and strictly decodes it into v, which
// must point to a struct. Decoding problems go to r; the returned checker
// reports further problems about the file. The error is for a file that
// could not be read at all.
func decodeFile(path string, v any, r *report) (*checker, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return decode(path, data, v, r), data, nil
}

// decode parses data into a node tree, for line look-ups and to catch
// syntax errors, and then decodes it again into v with unknown keys
// rejected: yaml.v3 honours KnownFields only in a Decoder, not in
// Node.Decode.
func decode(file string, data []byte, v any, r *report) *checker {
	c := r.file(file, nil)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		c.broken = true
		c.put(Problem{File: file, Msg: "file is empty"})
		return c
	case err != nil:
		c.broken = true
		c.put(syntaxProblem(file, err))
		return c
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		c.broken = true
		c.put(syntaxProblem(file, err))
		return c
	default:
		c.put(Problem{File: file, Line: next.Line, Msg: "a second YAML document starts here; a config file holds one"})
	}

	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	c.root = root
	if root.ShortTag() == "!!null" {
		c.broken = true
		c.put(Problem{File: file, Line: root.Line, Msg: "document is empty"})
		return c
	}

	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	err := strict.Decode(v)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		t := newTranslator(file, root, reflect.TypeOf(v))
		for _, msg := range te.Errors {
			p, bad, found := t.translate(msg)
			if found {
				c.bad = append(c.bad, skipped(bad))
			}
			c.put(p)
		}
	case err != nil:
		// A fatal decoding error (excessive aliasing, a bad merge) leaves v
		// half-filled: checking it would only add noise.
		c.broken = true
		c.put(Problem{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	return c
}

// skipped returns the path whose checks a decoding error at bad spoils.
// When a list item as a whole fails to decode, yaml.v3 leaves it out of the
// slice and the items after it move up, so the whole list is spoiled.
func skipped(bad string) string {
	if strings.HasSuffix(bad, "]") {
		return bad[:strings.LastIndexByte(bad, '[')]
	}
	return bad
}

var yamlLine = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// parserProblems start the messages of yaml.v3's parser, as opposed to its
// scanner. yaml.v3 (up to 3.0.6 at least) numbers the lines of parser
// errors from 0 and those of scanner errors from 1, and leaves the line out
// of either when its own number is 0. TestLoadProblems pins this down, so
// that an upgrade that fixes it fails a test rather than every line.
var parserProblems = []string{
	"did not find expected ",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxProblem turns an error from parsing the file ("yaml: line 3: did
// not find expected key") into a Problem.
func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "unknown anchor") {
		return Problem{File: file, Msg: msg}
	}
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		for _, p := range parserProblems {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
	}
	return Problem{File: file, Line: line, Msg: "syntax error: " + msg}
}

// resolve makes a relative path in a config relative to the config file's
// directory instead of the process's working directory.
func resolve(configFile, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(configFile), p)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
