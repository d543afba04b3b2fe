package configs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	File string // the file as named to the loader; "" for a value built in code
	Path string // YAML keys from the top, e.g. "sensors[0].serial.port"; "" for the whole file
	Line int    // 1-based line in File; 0 when unknown
	Msg  string // what is wrong, lower case, without the location
}

// String formats the problem as "file: path (line n): msg", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Path != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Path)
	}
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(line %d)", p.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found while loading or validating a config, in
// file order and then line order. It is the only error the loaders return
// for a file that could be read.
type Error struct {
	Problems []Problem
}

// Error lists the problems one per line. There is no "configs:" prefix:
// each line starts with the file it is about, like a compiler's output.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// report collects the problems of one load, across the files it reads.
type report struct {
	problems []Problem
	// skipFiles leaves out the checks of files a config names (see
	// ParseOpts.SkipFiles).
	skipFiles bool
}

// file returns a checker that adds problems about one file. root is the
// file's top-level node, or nil when there is none to look lines up in.
func (r *report) file(name string, root *yaml.Node) *checker {
	return &checker{r: r, file: name, root: root}
}

// err returns the problems as an *Error, or nil when there are none.
func (r *report) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	rank := map[string]int{}
	for _, p := range r.problems {
		if _, ok := rank[p.File]; !ok {
			rank[p.File] = len(rank)
		}
	}
	ps := slices.Clone(r.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if d := rank[a.File] - rank[b.File]; d != 0 {
			return d
		}
		return a.Line - b.Line
	})
	return &Error{Problems: ps}
}

// checker adds problems about one file, finding their lines in the file's
// node tree.
type checker struct {
	r    *report
	file string
	root *yaml.Node
	// bad holds the paths whose values failed to decode: checks on them
	// and below them would only repeat the same mistake.
	bad []string
	// broken is set when nothing usable was decoded (a syntax error, an
	// empty file), so that validation is skipped altogether.
	broken bool
}

// add reports a problem at path unless the value there failed to decode.
func (c *checker) add(path, format string, args ...any) {
	if c.spoiled(path) {
		return
	}
	line, _ := c.lookup(path)
	c.put(Problem{File: c.file, Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// spoiled tells whether the value at path, or one it is part of, failed
// to decode, so that it cannot be trusted.
func (c *checker) spoiled(path string) bool {
	for _, b := range c.bad {
		if within(path, b) {
			return true
		}
	}
	return false
}

// spoiledIn tells whether the list at path, or field in any of its items,
// failed to decode: then what the list declares (the ids of offices, say)
// is not all known, and a name missing from it may be there after all.
func (c *checker) spoiledIn(path, field string) bool {
	if c.spoiled(path) {
		return true
	}
	for _, b := range c.bad {
		rest, ok := strings.CutPrefix(b, path+"[")
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, ']'); i >= 0 && within(rest[i+1:], "."+field) {
			return true
		}
	}
	return false
}

func (c *checker) put(p Problem) { c.r.problems = append(c.r.problems, p) }

// has tells whether the file gives path a non-null value. Values built in
// code have no file, so there everything counts as given.
func (c *checker) has(path string) bool {
	if c.root == nil {
		return true
	}
	_, n := c.lookup(path)
	return n != nil && n.ShortTag() != "!!null"
}

// given tells whether a setting was given. In a file, that is whether
// its key has a value: the defaults have filled in absent keys since, so
// the value cannot tell. In a value built in code, which has no file, set
// says it: whether the value differs from what the defaults leave.
func (c *checker) given(path string, set bool) bool {
	if c.root == nil {
		return set
	}
	return c.has(path)
}

// lookup finds the node at path and the line to report it on. When the
// path is missing it returns nil and the line of the deepest node found.
func (c *checker) lookup(path string) (int, *yaml.Node) {
	if c.root == nil {
		return 0, nil
	}
	n, line := c.root, c.root.Line
	for _, s := range splitPath(path) {
		n = deref(n)
		if s.key != "" {
			if n.Kind != yaml.MappingNode {
				return line, nil
			}
			k, v := mapGet(n, s.key, map[*yaml.Node]bool{})
			if k == nil {
				return n.Line, nil
			}
			n, line = v, k.Line
			continue
		}
		if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
			return line, nil
		}
		n = n.Content[s.index]
		line = n.Line
	}
	return line, n
}

// within tells whether path is at or below base.
func within(path, base string) bool {
	if base == "" || path == base {
		return true
	}
	rest, ok := strings.CutPrefix(path, base)
	return ok && (rest[0] == '.' || rest[0] == '[')
}

// key and index build paths: key("sensors[0]", "name") is
// "sensors[0].name", index("sensors", 0) is "sensors[0]".
func key(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

type segment struct {
	key   string // "" for a list index
	index int
}

// splitPath undoes key and index. Keys are the schema's own, so they never
// hold '.' or '['.
func splitPath(path string) []segment {
	var segs []segment
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return segs
			}
			i, _ := strconv.Atoi(path[1:end])
			segs = append(segs, segment{index: i})
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, segment{key: path[:end]})
			path = path[end:]
		}
	}
	return segs
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// mapGet returns the key and value nodes of k in mapping m, looking into
// merged mappings ("<<: *base") as the decoder does. Each mapping is
// searched once, so that an anchor merged many times over, or into
// itself, costs no more than the file's size.
func mapGet(m *yaml.Node, k string, seen map[*yaml.Node]bool) (key, value *yaml.Node) {
	if seen[m] {
		return nil, nil
	}
	seen[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			continue
		}
		if kn.ShortTag() == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		if kn.Value == k {
			return kn, vn
		}
	}
	for _, mv := range merges {
		mv = deref(mv)
		list := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			list = mv.Content
		}
		for _, item := range list {
			if item = deref(item); item.Kind == yaml.MappingNode {
				if kn, vn := mapGet(item, k, seen); kn != nil {
					return kn, vn
				}
			}
		}
	}
	return nil, nil
}
