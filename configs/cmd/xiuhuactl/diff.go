package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/configs"
)

// refused are the keys a device will not take over the air, and why: its
// identity and where its unsent readings are kept are settled on site.
var refused = map[string]string{
	"device.id":   "a device keeps its id",
	"outbox.path": "the outbox holding unsent readings cannot move",
}

func diff(args []string, c cmdIO) int {
	fs := c.flags("diff", "OLD NEW")
	files, err := parse(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(files) != 2 {
		return c.usageError(fs, "config diff: give two files, the old config and the new")
	}
	var vals [2]reflect.Value
	kind := ""
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
		k, err := configs.DetectKind(data)
		if err != nil {
			c.errorf("%s: %s", f, unprefixed(err))
			return exitProblem
		}
		if kind != "" && k != kind {
			c.errorf("%s is %s config and %s %s config: nothing to compare", files[0], article(kind), f, article(k))
			return exitProblem
		}
		kind = k
		v, err := decodeForDiff(f, data, k)
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			return exitProblem
		}
		vals[i] = v
	}
	var changes []change
	walk(vals[0], vals[1], "", &changes)
	if len(changes) == 0 {
		fmt.Fprintln(c.stdout, "no changes")
		return exitOK
	}
	var stopped []string
	for _, ch := range changes {
		line := ch.String()
		if why, ok := refused[ch.path]; ok {
			line += "  [a remote flash refuses this: " + why + "]"
			stopped = append(stopped, ch.path)
		}
		fmt.Fprintln(c.stdout, line)
	}
	n := fmt.Sprintf("%d changes", len(changes))
	if len(changes) == 1 {
		n = "1 change"
	}
	if len(stopped) > 0 {
		fmt.Fprintf(c.stdout, "%s; a remote flash refuses the change of %s: deliver this config on site (config flash --to)\n", n, strings.Join(stopped, " and "))
	} else {
		fmt.Fprintln(c.stdout, n)
	}
	return exitOK
}

// decodeForDiff loads a config with its defaults. An agent config's
// relative paths are kept relative, so that the same config in two
// directories compares equal; its problems still name the file.
func decodeForDiff(file string, data []byte, kind string) (reflect.Value, error) {
	switch kind {
	case configs.FileAgent:
		a, err := configs.ParseAgentWith(filepath.Base(file), data, configs.ParseOpts{SkipFiles: true})
		var e *configs.Error
		if errors.As(err, &e) {
			for i := range e.Problems {
				e.Problems[i].File = file
			}
		}
		if a != nil && a.Clock.RequireSync == nil {
			// The one default the loader leaves as nil.
			req := a.Clock.Requires()
			a.Clock.RequireSync = &req
		}
		return reflect.ValueOf(a), err
	case configs.FileCollector:
		col, err := configs.LoadCollector(file)
		return reflect.ValueOf(col), err
	default:
		p, err := configs.LoadPlan(file)
		return reflect.ValueOf(p), err
	}
}

// change is one difference: a key changed, added ('+') or removed ('-').
type change struct {
	path     string
	op       byte // '~', '+' or '-'
	old, new string
}

// secret tells whether the value at path must not be shown: a diff ends up
// in terminals, tickets and chat.
func secret(path string) bool {
	for _, k := range []string{".password", ".secret", ".dsn"} {
		if strings.HasSuffix(path, k) {
			return true
		}
	}
	return false
}

func (c change) String() string {
	old, new := c.old, c.new
	if secret(c.path) {
		if c.op == '~' {
			return c.path + ": changed (not shown)"
		}
		old, new = "(not shown)", "(not shown)"
	}
	switch c.op {
	case '+':
		return "+ " + c.path + ": " + new
	case '-':
		return "- " + c.path + ": " + old
	}
	return c.path + ": " + old + " → " + new
}

// walk compares a and b, values of one type where either may be invalid
// (absent), and appends the differences of their leaves in schema order.
func walk(a, b reflect.Value, path string, out *[]change) {
	// A value behind a pointer (above: 0) is there even when zero.
	given := a.Kind() == reflect.Pointer || b.Kind() == reflect.Pointer
	a, b = deref(a), deref(b)
	if !a.IsValid() && !b.IsValid() {
		return
	}
	var t reflect.Type
	if a.IsValid() {
		t = a.Type()
	} else {
		t = b.Type()
	}
	switch {
	case isLeaf(t):
		leaf(a, b, path, given, out)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			walk(field(a, i), field(b, i), join(path, name), out)
		}
	case t.Kind() == reflect.Slice:
		n := max(length(a), length(b))
		for i := range n {
			walk(item(a, i), item(b, i), path+"["+strconv.Itoa(i)+"]", out)
		}
	case t.Kind() == reflect.Map:
		var keys []string
		for _, m := range []reflect.Value{a, b} {
			if m.IsValid() {
				for _, k := range m.MapKeys() {
					if !slices.Contains(keys, k.String()) {
						keys = append(keys, k.String())
					}
				}
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(mapItem(a, k), mapItem(b, k), join(path, k), out)
		}
	}
}

// leaf compares two leaves. Of a part added or removed whole (a sensor),
// only the keys with a value are listed, unless given says the key is set
// even when zero.
func leaf(a, b reflect.Value, path string, given bool, out *[]change) {
	switch {
	case !a.IsValid():
		if given || !b.IsZero() {
			*out = append(*out, change{path: path, op: '+', new: format(b, path)})
		}
	case !b.IsValid():
		if given || !a.IsZero() {
			*out = append(*out, change{path: path, op: '-', old: format(a, path)})
		}
	default:
		if o, n := format(a, path), format(b, path); o != n {
			*out = append(*out, change{path: path, op: '~', old: o, new: n})
		}
	}
}

// isLeaf tells whether values of t are shown whole: scalars, and lists of
// scalars (tags, plan files, floor heights).
func isLeaf(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return false
	case reflect.Slice:
		e := t.Elem()
		return e.Kind() != reflect.Struct && e.Kind() != reflect.Pointer && e.Kind() != reflect.Map && e.Kind() != reflect.Slice
	}
	return true
}

var durationType = reflect.TypeFor[configs.Duration]()

// format writes a leaf as the config would.
func format(v reflect.Value, path string) string {
	if v.Type() == durationType {
		return v.Interface().(configs.Duration).String()
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case reflect.Int, reflect.Int64, reflect.Int32:
		if strings.HasSuffix(path, "i2c.address") {
			return fmt.Sprintf("%#x", v.Int())
		}
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64, reflect.Float32:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = format(v.Index(i), path)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func field(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() {
		return v
	}
	return v.Field(i)
}

func length(v reflect.Value) int {
	if !v.IsValid() {
		return 0
	}
	return v.Len()
}

func item(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() || i >= v.Len() {
		return reflect.Value{}
	}
	return v.Index(i)
}

func mapItem(m reflect.Value, k string) reflect.Value {
	if !m.IsValid() {
		return m
	}
	return m.MapIndex(reflect.ValueOf(k).Convert(m.Type().Key()))
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// article puts "a" or "an" before a kind of config.
func article(kind string) string {
	if kind == configs.FileAgent {
		return "an " + kind
	}
	return "a " + kind
}
