package configs

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 reports decoding errors as strings that carry a line but no
// path. The translator finds the node each one is about, so that it can
// be reported by path and in words an engineer reads without knowing Go.
// A message it does not recognise is passed on with its line.
var (
	errLine    = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	errUnknown = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	errTwice   = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	errDupKey  = regexp.MustCompile(`^mapping key (.+) already defined at line (\d+)$`)
	errType    = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// entry is a node of the file with the path that leads to it.
type entry struct {
	path string
	node *yaml.Node
	key  bool // node is a mapping key rather than a value
	used bool // a problem has been placed on it
}

type translator struct {
	file  string
	nodes []*entry
	types map[string]reflect.Type // Go type name, as yaml prints it → type
}

func newTranslator(file string, root *yaml.Node, target reflect.Type) *translator {
	t := &translator{file: file, types: map[string]reflect.Type{}}
	t.walk(root, "")
	goTypes(target, t.types)
	return t
}

// walk indexes the nodes under n. Aliases are not followed: the decoder
// reports problems in an alias at the anchor's line, where walk finds them.
func (t *translator) walk(n *yaml.Node, path string) {
	t.nodes = append(t.nodes, &entry{path: path, node: n})
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := key(path, k.Value)
			t.nodes = append(t.nodes, &entry{path: p, node: k, key: true})
			t.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			t.walk(item, index(path, i))
		}
	}
}

// translate turns one of yaml.TypeError's messages into a Problem. bad is
// the path the decoder gave up on, and found is false when it could not be
// identified.
func (t *translator) translate(msg string) (p Problem, bad string, found bool) {
	p = Problem{File: t.file, Msg: msg}
	m := errLine.FindStringSubmatch(msg)
	if m == nil {
		return p, "", false
	}
	line, _ := strconv.Atoi(m[1])
	p.Line, p.Msg = line, m[2]
	var e *entry
	switch {
	case errUnknown.MatchString(p.Msg):
		m := errUnknown.FindStringSubmatch(p.Msg)
		e = t.find(line, true, func(n *yaml.Node) bool { return n.Value == m[1] })
		p.Msg = "unknown key"
		if known := yamlKeys(t.types[m[2]]); len(known) > 0 {
			p.Msg += "; known keys here: " + strings.Join(known, ", ")
		}
	case errTwice.MatchString(p.Msg):
		e = t.findLast(line, errTwice.FindStringSubmatch(p.Msg)[1])
		p.Msg = "key is set twice"
	case errDupKey.MatchString(p.Msg):
		m := errDupKey.FindStringSubmatch(p.Msg)
		k := m[1]
		if s, err := strconv.Unquote(k); err == nil {
			k = s
		}
		p.Msg = "key is set twice (first at line " + m[2] + ")"
		if e = t.findLast(line, k); e != nil {
			// The decoder skips the whole mapping that holds the key.
			e.used = true
			p.Path = e.path
			return p, parent(e.path), true
		}
	case errType.MatchString(p.Msg):
		m := errType.FindStringSubmatch(p.Msg)
		tag, val, into := m[1], m[2], m[3]
		e = t.find(line, false, func(n *yaml.Node) bool {
			if n.ShortTag() != tag {
				return false
			}
			if n.Kind != yaml.ScalarNode {
				return val == ""
			}
			return n.Value == val || len(n.Value) > 10 && n.Value[:7]+"..." == val
		})
		p.Msg = "want " + want(t.types[into], into) + ", got " + tag
		if e != nil {
			p.Msg = "want " + want(t.types[into], into) + ", got " + got(e.node)
		}
	}
	if e == nil {
		return p, "", false
	}
	e.used = true
	p.Path = e.path
	return p, e.path, true
}

// parent strips the last key or index from path.
func parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// find returns the first unused node on line that matches.
func (t *translator) find(line int, isKey bool, match func(*yaml.Node) bool) *entry {
	for _, e := range t.nodes {
		if !e.used && e.key == isKey && e.node.Line == line && match(e.node) {
			return e
		}
	}
	return nil
}

// findLast returns the last key k on line: of a key set twice, the second
// is the one in the way.
func (t *translator) findLast(line int, k string) *entry {
	var last *entry
	for _, e := range t.nodes {
		if e.key && e.node.Line == line && e.node.Value == k {
			last = e
		}
	}
	return last
}

var (
	durationType = reflect.TypeFor[Duration]()
	dateType     = reflect.TypeFor[Date]()
	periodType   = reflect.TypeFor[PeriodSpec]()
	pairType     = reflect.TypeFor[Breakpoint]()
)

// want describes the Go type t (named name) in the config's own terms.
func want(t reflect.Type, name string) string {
	switch t {
	case durationType:
		return "a duration such as 5s, 15m or 1h30m"
	case dateType:
		return "a date such as 2016-08-01"
	case periodType:
		return "a period such as 15m, 1h, day or year"
	case pairType:
		return "a pair of numbers [concentration, IAQI]"
	case nil:
		return name
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	}
	return name
}

// got describes what the file holds at n.
func got(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch n.ShortTag() {
	case "!!str":
		return strconv.Quote(n.Value)
	case "!!null":
		return "nothing"
	}
	return n.Value
}

// goTypes records t and every type reachable through its decoded fields
// under the names yaml.v3 prints for them.
func goTypes(t reflect.Type, m map[string]reflect.Type) {
	if _, ok := m[t.String()]; ok {
		return
	}
	m[t.String()] = t
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		goTypes(t.Elem(), m)
	case reflect.Map:
		goTypes(t.Key(), m)
		goTypes(t.Elem(), m)
	case reflect.Struct:
		for f := range t.Fields() {
			if f.IsExported() && f.Tag.Get("yaml") != "-" {
				goTypes(f.Type, m)
			}
		}
	}
}

// yamlKeys lists the keys a struct type accepts, in declaration order.
func yamlKeys(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		keys = append(keys, name)
	}
	return keys
}
