package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/cloud/store"
	_ "github.com/xiuhua/xiuhua/drivers/pms5003" // the rig's sensors
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/simulator/chip"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
)

// rig is an embedded broker and a real collector in this process, and
// PMS5003 emulators on pseudo-terminals for the agents to read.
type rig struct {
	dir    string
	broker *broker.Broker
	col    *collectortest.Collector
	api    string
	stops  []context.CancelFunc // the emulators'
	wg     sync.WaitGroup
	ptys   []*chip.PTY
}

func newRig(dir string) (*rig, error) {
	r := &rig{dir: dir}
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		return nil, err
	}
	r.broker = b
	r.col, err = collectortest.Start(dir, collectortest.Opts{Broker: b.URL(), ClientID: "bench-collector",
		Plans: []collectortest.Plan{{File: "plans/dust.yaml", Embedded: "construction-dust.yaml"}}})
	if err != nil {
		r.close()
		return nil, err
	}
	r.api = "http://" + r.col.HTTPAddr()
	return r, nil
}

// dustSensor starts a PMS5003 emulator and returns its serial port path.
func (r *rig) dustSensor() (string, error) {
	p, err := chip.OpenPTY()
	if err != nil {
		return "", err
	}
	r.ptys = append(r.ptys, p)
	c := pmschip.New(func(time.Time) pmschip.Values { return pmschip.Values{PM1: 20, PM2_5: 30, PM10: 50} }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		c.Serve(ctx, p.Master)
	}()
	r.stops = append(r.stops, cancel)
	return p.SlavePath, nil
}

func (r *rig) device(id string) (store.Device, bool) {
	resp, err := http.Get(r.api + "/api/v1/devices/" + id)
	if err != nil {
		return store.Device{}, false
	}
	defer resp.Body.Close()
	var d store.Device
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&d) != nil {
		return store.Device{}, false
	}
	return d, true
}

func (r *rig) close() {
	for _, stop := range r.stops {
		stop()
	}
	if r.col != nil {
		r.col.Stop() // a collector that failed shows in the figures it spoiled
	}
	r.wg.Wait()
	for _, p := range r.ptys {
		p.Close()
	}
	if r.broker != nil {
		r.broker.Close()
	}
}

// agentYAML is an agent config reading the given dust ports.
func agentYAML(id, outbox, brokerURL string, ports []string, extra string) string {
	s := fmt.Sprintf("device: {id: %s}\nsensors:\n", id)
	for i, p := range ports {
		s += fmt.Sprintf("  - {name: dust%d, driver: pms5003, serial: {port: %q}, interval: 1s}\n", i, p)
	}
	return s + fmt.Sprintf("outbox: {path: %q, budget_mb: 1024}\nuplink: {broker: %q%s}\nclock: {require_sync: false}\n", outbox, brokerURL, extra)
}
