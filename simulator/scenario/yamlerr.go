package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xiuhua/xiuhua/configs"
)

// A scenario file is decoded as configs decodes a config file: strictly
// (an unknown key is an error), with every problem reported as a
// configs.Problem carrying the file, the key path and the line, and all of
// them returned together as a *configs.Error.

// checker collects the problems of one file and finds their lines.
type checker struct {
	file     string
	root     *yaml.Node
	problems []configs.Problem
	bad      []string // paths whose values did not decode: checks below them would repeat the problem
}

// add records a problem about the value at path, found in the file to
// give its line.
func (c *checker) add(path, format string, args ...any) {
	for _, b := range c.bad {
		if b == "" || path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return
		}
	}
	c.problems = append(c.problems, configs.Problem{File: c.file, Path: path, Line: c.line(path), Msg: fmt.Sprintf(format, args...)})
}

// has reports whether the file sets the key at path.
func (c *checker) has(path string) bool {
	_, n := c.lookup(path)
	return n != nil
}

// line returns the line of the key at path, or of the nearest parent the
// file has.
func (c *checker) line(path string) int {
	for {
		if l, n := c.lookup(path); n != nil {
			return l
		}
		i := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

var segment = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// lookup returns the line of the key (or list item) at path and its value
// node, or nil when the file has none there.
func (c *checker) lookup(path string) (int, *yaml.Node) {
	n, line := c.root, 0
	if n == nil {
		return 0, nil
	}
	for _, m := range segment.FindAllStringSubmatch(path, -1) {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return 0, nil
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			return 0, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				next, line = n.Content[i+1], n.Content[i].Line
			}
		}
		if next == nil {
			return 0, nil
		}
		n = next
	}
	return line, n
}

// err returns the problems, in line order, as a *configs.Error, or nil.
func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	ps := slices.Clone(c.problems)
	slices.SortStableFunc(ps, func(a, b configs.Problem) int { return a.Line - b.Line })
	return &configs.Error{Problems: ps}
}

// decode parses data and decodes it strictly into v (a pointer to a
// struct), recording syntax errors, unknown keys and values of the wrong
// type. It returns false when the file could not be decoded at all.
func decode(file string, data []byte, v any) (*checker, bool) {
	c := &checker{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		c.problems = append(c.problems, syntaxProblem(file, err))
		return c, false
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		c.problems = append(c.problems, configs.Problem{File: file, Msg: "file is empty"})
		return c, false
	}
	c.root = doc.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	var te *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF):
	case errors.As(err, &te):
		types := map[string]reflect.Type{}
		goTypes(reflect.TypeOf(v), types)
		for _, msg := range te.Errors {
			c.translate(msg, types)
		}
	default:
		c.problems = append(c.problems, configs.Problem{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")})
		return c, false
	}
	return c, true
}

var (
	errLine    = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)
	errUnknown = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	errDupKey  = regexp.MustCompile(`^mapping key "?(.+?)"? already defined at line (\d+)$`)
	errType    = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// parserProblems start the messages of yaml.v3's parser, whose lines it
// numbers from 0 where its scanner numbers them from 1 (configs pins this
// down in its own tests).
var parserProblems = []string{
	"did not find expected ",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxProblem turns a parser error into a Problem with its line.
func syntaxProblem(file string, err error) configs.Problem {
	p := configs.Problem{File: file, Msg: "syntax error: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := errLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "syntax error: " + m[2]
		for _, pp := range parserProblems {
			if strings.HasPrefix(m[2], pp) {
				p.Line++
				break
			}
		}
	}
	return p
}

// translate turns one of yaml's decoding messages into a Problem at the
// path of the node it is about.
func (c *checker) translate(msg string, types map[string]reflect.Type) {
	p := configs.Problem{File: c.file, Msg: msg}
	m := errLine.FindStringSubmatch(msg)
	if m == nil {
		c.problems = append(c.problems, p)
		return
	}
	p.Line, _ = strconv.Atoi(m[1])
	p.Msg = m[2]
	match := func(isKey bool, ok func(n *yaml.Node) bool) {
		if path, found := c.find(p.Line, isKey, ok); found {
			p.Path = path
		}
	}
	switch {
	case errUnknown.MatchString(p.Msg):
		m := errUnknown.FindStringSubmatch(p.Msg)
		match(true, func(n *yaml.Node) bool { return n.Value == m[1] })
		p.Msg = "unknown key"
		if known := yamlKeys(types[m[2]]); len(known) > 0 {
			p.Msg += "; known keys here: " + strings.Join(known, ", ")
		}
	case errDupKey.MatchString(p.Msg):
		m := errDupKey.FindStringSubmatch(p.Msg)
		match(true, func(n *yaml.Node) bool { return n.Value == m[1] })
		p.Msg = "key is set twice (first at line " + m[2] + ")"
		// The decoder skips the whole mapping that holds the key.
		parent := p.Path
		if i := max(strings.LastIndexByte(parent, '.'), strings.LastIndexByte(parent, '[')); i >= 0 {
			parent = parent[:i]
		} else {
			parent = ""
		}
		c.bad = append(c.bad, parent)
	case errType.MatchString(p.Msg):
		m := errType.FindStringSubmatch(p.Msg)
		tag, val, into := m[1], m[2], m[3]
		var got string
		match(false, func(n *yaml.Node) bool {
			if n.ShortTag() != tag || n.Kind == yaml.ScalarNode && n.Value != val && !(len(n.Value) > 10 && n.Value[:7]+"..." == val) {
				return false
			}
			got = n.Value
			return true
		})
		p.Msg = "want " + want(into) + ", got " + describe(tag, got)
		c.bad = append(c.bad, p.Path)
	}
	c.problems = append(c.problems, p)
}

// find returns the path of the first node at line that satisfies ok: a
// mapping key when isKey, a value otherwise.
func (c *checker) find(line int, isKey bool, ok func(*yaml.Node) bool) (string, bool) {
	var walk func(n *yaml.Node, path string) (string, bool)
	walk = func(n *yaml.Node, path string) (string, bool) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if isKey && k.Line == line && ok(k) {
					return p, true
				}
				if found, ok := walk(v, p); ok {
					return found, true
				}
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if found, ok := walk(item, path+"["+strconv.Itoa(i)+"]"); ok {
					return found, true
				}
			}
		}
		if !isKey && n.Line == line && ok(n) {
			return path, true
		}
		return "", false
	}
	return walk(c.root, "")
}

// want names a Go type the way a person writing YAML thinks of it.
func want(goType string) string {
	switch {
	case goType == "configs.Duration":
		return "a duration such as 90s, 15m or 1h30m"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "string":
		return "text"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "bool":
		return "true or false"
	}
	return "a mapping of keys"
}

func describe(tag, value string) string {
	switch tag {
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	}
	return strconv.Quote(value)
}

// goTypes indexes the struct types reachable from t by the names yaml
// prints for them ("scenario.fileSensor").
func goTypes(t reflect.Type, m map[string]reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || m[t.String()] != nil {
		return
	}
	m[t.String()] = t
	for i := range t.NumField() {
		goTypes(t.Field(i).Type, m)
	}
}

// yamlKeys lists the keys a struct type takes.
func yamlKeys(t reflect.Type) []string {
	if t == nil {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}
