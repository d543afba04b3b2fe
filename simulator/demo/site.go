package demo

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/xiuhua/xiuhua/simulator/scenario"
)

// Site is one simulated construction site with a dust monitor.
type Site struct {
	ID    string
	Name  string
	Dust  scenario.Dust
	Story string // what the demo's user should expect from it
}

// Sites returns the demo's sites, their scenarios starting at start. The
// third has an earthworks episode that lifts its PM2.5 well above the
// plan's limit shortly after start; the fourth hovers just under it.
func Sites(n int, start time.Time) []Site {
	all := []Site{
		{ID: "site-xh-001", Name: "Xuhui, Longhua Road works", Story: "background dust, no alert",
			Dust: scenario.Dust{Start: start, Background: 30, DailySwing: 8}},
		{ID: "site-xh-002", Name: "Xuhui, Caohejing pile driving", Story: "moderate dust, no alert",
			Dust: scenario.Dust{Start: start, Background: 48, DailySwing: 10}},
		{ID: "site-xh-003", Name: "Xuhui, riverside earthworks", Story: "earthworks from +5 s: PM2.5 alert within ~30 s",
			Dust: scenario.Dust{Start: start, Background: 40, DailySwing: 5, Episodes: []scenario.Episode{
				{At: 5 * time.Second, Ramp: 20 * time.Second, Hold: 4 * time.Minute, Decay: 2 * time.Minute, Peak: 160},
			}}},
		{ID: "site-xh-004", Name: "Xuhui, Tianlin demolition", Story: "close to the limit, no alert",
			Dust: scenario.Dust{Start: start, Background: 62, DailySwing: 4}},
	}
	for i := len(all); i < n; i++ {
		all = append(all, Site{ID: fmt.Sprintf("site-xh-%03d", i+1), Name: fmt.Sprintf("Xuhui, site %d", i+1),
			Story: "background dust", Dust: scenario.Dust{Start: start, Background: 25 + float64(i%5)*5, DailySwing: 6}})
	}
	return all[:n]
}

// agentYAML is the site's agent config: the real file format, pointing at
// the site's pseudo-terminal and the demo's broker.
func (s Site) agentYAML(dir, serialPort, brokerURL string) string {
	return fmt.Sprintf(`# Written by xiuhua-sim demo for %s.
device:
  id: %s
  site: %q
  district: xuhui
sensors:
  - name: dust
    driver: pms5003
    serial: {port: %q, baud: 9600}
    interval: 1s
    timeout: 1s
    params: {mode: passive}
outbox:
  path: %q
uplink:
  broker: %q
  batch_max: 500
  ack_timeout: 5s
  heartbeat: 10s
clock:
  # The simulated board's clock is the host's, which is right.
  require_sync: false
`, s.Name, s.ID, s.Name, serialPort, filepath.Join(dir, s.ID+".outbox.db"), brokerURL)
}

// collectorYAML is the demo collector's config.
func collectorYAML(dir, brokerURL, httpAddr, webhookURL string) string {
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
offices:
  - id: city-operations-centre
    name: "City operations centre (城运中心)"
routes:
  - {category: dust, office: city-operations-centre}
notify:
  channels:
    - name: office-sink
      type: webhook
      url: %q
      timeout: 5s
`, brokerURL, filepath.Join(dir, "collector.db"), httpAddr, webhookURL)
}
