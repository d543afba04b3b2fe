package configs

import (
	"fmt"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Kinds of config file, as DetectKind names them.
const (
	FileAgent     = "agent"
	FileCollector = "collector"
	FilePlan      = "plan"
)

// DetectKind tells an agent config, a collector config and a plan apart by
// their top-level keys: the kind whose schema knows most of them. A file
// whose keys fit no kind better than another is an error, and so is one
// that is not a YAML mapping.
func DetectKind(data []byte) (string, error) {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return "", fmt.Errorf("configs: cannot tell the kind of config: %w", err)
	}
	best, bestN, tie := "", 0, false
	for _, k := range []struct {
		kind string
		t    reflect.Type
	}{{FileAgent, reflect.TypeFor[Agent]()}, {FileCollector, reflect.TypeFor[Collector]()}, {FilePlan, reflect.TypeFor[Plan]()}} {
		known := yamlKeys(k.t)
		n := 0
		for key := range top {
			if slices.Contains(known, key) {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN, tie = k.kind, n, false
		case n == bestN && n > 0:
			tie = true
		}
	}
	if bestN == 0 || tie {
		return "", fmt.Errorf("configs: cannot tell whether this is an agent config, a collector config or a plan from its top-level keys")
	}
	return best, nil
}
