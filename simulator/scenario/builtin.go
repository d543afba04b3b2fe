package scenario

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// builtin holds the scenarios shipped with the simulator; the demo plays
// some of them.
//
//go:embed scenarios/*.yaml
var builtin embed.FS

// Builtins lists the shipped scenarios by name (the file name without
// .yaml), sorted.
func Builtins() []string {
	entries, _ := fs.ReadDir(builtin, "scenarios")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// Builtin loads the shipped scenario called name.
func Builtin(name string) (*Scenario, error) {
	p := path.Join("scenarios", name+".yaml")
	data, err := fs.ReadFile(builtin, p)
	if err != nil {
		return nil, fmt.Errorf("scenario: no built-in scenario %q (have %s)", name, strings.Join(Builtins(), ", "))
	}
	return Parse(p, data)
}
