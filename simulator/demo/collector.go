package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xiuhua/xiuhua/configs"
)

// floodPlan is the plan the river gauge is judged by; the demo compresses
// its durations like the gauge's scenario.
const floodPlan = "huangpu-flood.yaml"

// writeCollectorConfig writes the shipped plans (the flood plan with its
// durations divided by k, the river scenario's compression) and the
// collector's config into dir, and loads the config as the collector's
// binary would.
func writeCollectorConfig(dir, brokerURL, httpAddr, webhookURL string, k float64, riverDevice, liftDevice string) (*configs.Collector, error) {
	plans := filepath.Join(dir, "plans")
	if err := os.MkdirAll(plans, 0o750); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	err := fs.WalkDir(configs.Plans, "plans", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(configs.Plans, p)
		if err != nil {
			return err
		}
		if d.Name() == floodPlan && k != 1 {
			if b, err = compressPlan(b, k); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return os.WriteFile(filepath.Join(plans, d.Name()), b, 0o640)
	})
	if err != nil {
		return nil, fmt.Errorf("demo: plans: %w", err)
	}
	path := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(path, []byte(collectorYAML(dir, brokerURL, httpAddr, webhookURL, riverDevice, liftDevice)), 0o640); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg, err := configs.LoadCollector(path)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cfg, nil
}

// collectorYAML is the demo collector's config: three plans, the river
// gauge's and the lift's sites, and an office for each family, all served
// by the webhook sink.
func collectorYAML(dir, brokerURL, httpAddr, webhookURL, riverDevice, liftDevice string) string {
	return fmt.Sprintf(`# Written by xiuhua-sim demo.
mqtt:
  broker: %q
  client_id: xiuhua-demo-collector
store:
  path: %q
http:
  listen: %q
plans:
  - plans/construction-dust.yaml
  - plans/%s
  - plans/elevator-safety.yaml
sites:
  # The flood plan's station rules are scoped to this site.
  - {id: %s, name: "Huangpu, Xuhui riverside gauge", district: xuhui, devices: [%s]}
  - {id: %s, name: "Tianlin Estate lifts", district: xuhui, devices: [%s]}
offices:
  - id: city-operations-centre
    name: "City operations centre (城运中心)"
    contacts: [{name: "Duty officer", phone: "13800000004"}]
  - id: river-chief-office
    name: "District river-chief office (河长办)"
    contacts: [{name: "Duty officer", phone: "13800000001"}]
  - id: elevator-safety-office
    name: "Elevator safety office (电梯安全办)"
    contacts: [{name: "Lift duty engineer", phone: "13800000003"}]
routes:
  - {category: dust, office: city-operations-centre}
  - {category: water, office: river-chief-office}
  - {category: elevator, office: elevator-safety-office}
notify:
  channels:
    - name: office-sink
      type: webhook
      url: %q
      timeout: 5s
`, brokerURL, filepath.Join(dir, "collector.db"), httpAddr, floodPlan, riverSite, riverDevice, liftSite, liftDevice, webhookURL)
}

// compressedKeys are the rule keys that hold durations, and the least
// each may be (the plan schema's lower bound).
var compressedKeys = map[string]time.Duration{"for": 0, "clear_for": 0, "window": time.Minute, "per": time.Second, "after": time.Minute}

// compressPlan returns the plan file data with every rule's durations
// divided by k, to the millisecond and not below the schema's least, and
// its title saying so. Levels and rates per Per stay as they are: a world
// running k times faster crosses the same levels, at k times the rate per
// wall hour, which is the rate per compressed Per. A calendar period
// cannot be compressed: a plan with a period rule is an error.
func compressPlan(data []byte, k float64) ([]byte, error) {
	if !(k > 0) || math.IsInf(k, 0) {
		return nil, fmt.Errorf("compress plan: factor %v", k)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("compress plan: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("compress plan: not a mapping")
	}
	root := doc.Content[0]
	if title := get(root, "title"); title != nil {
		title.Value += fmt.Sprintf(" — durations compressed %g× for the demo", k)
	}
	root.HeadComment = fmt.Sprintf("Written by xiuhua-sim demo: the shipped plan with its durations divided by %g,\n"+
		"as its river gauge's scenario runs %g times faster than life.\n\n%s", k, k, root.HeadComment)
	rules := get(root, "rules")
	if rules == nil {
		return yaml.Marshal(&doc)
	}
	for i, r := range rules.Content {
		if kind := get(r, "kind"); kind != nil && kind.Value == string(configs.Period) {
			return nil, fmt.Errorf("compress plan: rules[%d] is a period rule: calendar periods cannot be compressed", i)
		}
		if kind := get(r, "kind"); kind != nil && kind.Value == string(configs.Rate) && get(r, "per") == nil {
			// The rate's unit, 1 h by default, is a duration too.
			r.Content = append(r.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "per"}, &yaml.Node{Kind: yaml.ScalarNode, Value: "1h"})
		}
		for key, least := range compressedKeys {
			n := get(r, key)
			if n == nil {
				continue
			}
			d, err := time.ParseDuration(n.Value)
			if err != nil {
				return nil, fmt.Errorf("compress plan: rules[%d].%s: %w", i, key, err)
			}
			c := max(time.Duration(math.Round(float64(d)/k)).Round(time.Millisecond), least)
			n.Value, n.Tag, n.Style = configs.Duration(c).String(), "!!str", 0
		}
	}
	return yaml.Marshal(&doc)
}

// get returns the value of key in the mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
