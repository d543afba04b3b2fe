package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/internal/mosquitto"
)

// kills is how many times the power-cut tests SIGKILL the agent:
// XIUHUA_KILLS overrides it (make soak sets 1000).
func kills(t *testing.T, def int) int {
	if v := os.Getenv("XIUHUA_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("XIUHUA_KILLS=%q is not a positive number", v)
		}
		return n
	}
	return def
}

// chaos is one power-cut run: the agent and the collector are real
// processes; the test cuts their power (SIGKILL) and restarts the broker
// at random moments, then checks that the collector holds every sequence
// number the agent ever committed, exactly once.
type chaos struct {
	t             *testing.T
	dir           string
	r             *runner
	brokerURL     string
	agentCfg      string
	collCfg       string
	rng           *rand.Rand
	unplug        func()
	restartBroker func()
}

func newChaos(t *testing.T, brokerURL string, restartBroker func()) *chaos {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	c := &chaos{t: t, dir: t.TempDir(), r: &runner{t: t}, brokerURL: brokerURL,
		rng: rand.New(rand.NewPCG(seed, 7)), restartBroker: restartBroker}
	port, unplug := startSite(t, c.r, 37)
	c.unplug = unplug
	c.agentCfg = write(t, filepath.Join(c.dir, "agent.yaml"), fmt.Sprintf(`device: {id: powercut-1}
sensors:
  - {name: dust, driver: pms5003, serial: {port: %q}, interval: 100ms, timeout: 100ms}
outbox: {path: outbox.db}
uplink: {broker: %q, ack_timeout: 1s, batch_max: 200, heartbeat: 1s}
clock: {require_sync: false}
`, port, brokerURL))
	os.MkdirAll(filepath.Join(c.dir, "plans"), 0o750)
	plan, _ := configs.Plans.ReadFile("plans/construction-dust.yaml")
	write(t, filepath.Join(c.dir, "plans", "dust.yaml"), string(plan))
	c.collCfg = write(t, filepath.Join(c.dir, "collector.yaml"), fmt.Sprintf(`mqtt: {broker: %q, client_id: powercut-collector}
store: {path: collector.db}
http: {listen: "127.0.0.1:0"}
plans: [plans/dust.yaml]
offices: [{id: city-operations-centre, name: ops}]
routes: [{category: dust, office: city-operations-centre}]
`, brokerURL))
	return c
}

func (c *chaos) agent() *proc {
	return startProc(c.t, "agent", binary(c.t, "xiuhua-agent"), "--config", c.agentCfg, "--log-level", "warn")
}

func (c *chaos) collector() *proc {
	return startProc(c.t, "collector", binary(c.t, "xiuhua-collector"), "--config", c.collCfg, "--http", "127.0.0.1:0")
}

func (c *chaos) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)))
}

// run cuts the agent's power n times, the collector's every collEvery-th
// time and restarts the broker every brokerEvery-th time, then lets
// everything drain and checks the collector's record.
func (c *chaos) run(n, collEvery, brokerEvery int) {
	t := c.t
	coll := c.collector()
	coll.httpAddr(t)
	for i := 1; i <= n; i++ {
		a := c.agent()
		select {
		case <-a.done:
			t.Fatalf("agent exited by itself (%v):\n%s", a.err, a.output())
		case <-time.After(c.between(150*time.Millisecond, 700*time.Millisecond)):
		}
		a.kill()
		if collEvery > 0 && i%collEvery == 0 {
			coll.kill()
			coll = c.collector()
		}
		if brokerEvery > 0 && i%brokerEvery == 0 {
			c.restartBroker()
		}
	}
	// Power stays on: the agent drains its outbox. Then the sensor is
	// unplugged, so that the record stops growing.
	a := c.agent()
	api := "http://" + coll.httpAddr(t)
	time.Sleep(time.Second)
	c.unplug()
	var last uint64
	stableSince := time.Now()
	defer func() {
		if t.Failed() {
			t.Logf("agent log:\n%s\ncollector log:\n%s", a.output(), coll.output())
		}
	}()
	waitFor(t, "collector's record stops growing", 60*time.Second, func() (bool, string) {
		d, ok := apiDevice(t, api, "powercut-1")
		if !ok {
			return false, "device unknown"
		}
		if d.SeqHigh != last || len(d.Missing) > 0 {
			last, stableSince = d.SeqHigh, time.Now()
		}
		return time.Since(stableSince) > 3*time.Second, fmt.Sprintf("%+v", d)
	})
	a.stop(t)
	coll.stop(t)

	ob, err := outbox.Open(filepath.Join(c.dir, "outbox.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	st, err := ob.Stats()
	if err != nil {
		t.Fatal(err)
	}
	committed := st.NextSeq - 1
	coll = c.collector()
	d, _ := apiDevice(t, "http://"+coll.httpAddr(t), "powercut-1")
	t.Logf("%d power cuts: agent committed %d readings; collector stored %d, dropped %d duplicates, missing %v; %d still in the outbox",
		n, committed, d.Received, d.Duplicates, d.Missing, st.Depth)
	if committed == 0 || d.SeqHigh != committed || d.Received != committed || len(d.Missing) != 0 {
		t.Fatalf("collector holds %+v; want exactly the %d committed readings, none missing", d, committed)
	}
	// What is still in the outbox, in either lane, was acknowledged but
	// not yet deleted when the agent stopped: the collector holds it all.
	for _, lane := range []outbox.Lane{outbox.Urgent, outbox.Data} {
		es, err := ob.Pending(lane, 0, 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if r := e.Range(); r.First > d.SeqHigh {
				t.Fatalf("outbox %s lane holds %v, which the collector never stored (seq_high %d)", lane, r, d.SeqHigh)
			}
		}
	}
	recs := readingsAll(t, "http://"+coll.httpAddr(t), "powercut-1")
	if uint64(len(recs)) != committed {
		t.Fatalf("readings API lists %d readings, want %d (each exactly once)", len(recs), committed)
	}
	// Each reading is stored once, with the value the sensor gave: the
	// chip reports PM2.5 37 and PM10 74 throughout.
	seen := map[uint64]bool{}
	want := map[string]float64{"pm2_5": 37, "pm10": 74}
	for _, r := range recs {
		if seen[r.Seq] {
			t.Fatalf("seq %d listed twice", r.Seq)
		}
		seen[r.Seq] = true
		if w, ok := want[r.Quantity]; ok && r.Value != w || r.Quality != "good" {
			t.Fatalf("seq %d: %s = %v (%s), want %v, good", r.Seq, r.Quantity, r.Value, r.Quality, w)
		}
	}
}

func TestPowerCutsLoseNothing(t *testing.T) {
	b := startBroker(t)
	c := newChaos(t, b.URL(), b.restart)
	c.run(kills(t, 50), 10, 17)
}

// The same through Mosquitto, in a private instance so that the test can
// cut its power too.
func TestPowerCutsLoseNothingThroughMosquitto(t *testing.T) {
	m := mosquitto.StartTest(t, mosquitto.Opts{})
	c := newChaos(t, m.URL(), func() {
		if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
	})
	c.run(max(kills(t, 50)/5, 10), 5, 4)
}
