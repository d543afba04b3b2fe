package configapply

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/ads1115"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The integration tests run the real agent on a virtual board (a tide
// gauge's ADS1115 at 0x48 on I2C bus 1) against the machine's Mosquitto,
// under a device id of their own.
const mosquitto = "tcp://127.0.0.1:1883"

// deadline is the tests' health check deadline.
const deadline = 2 * time.Second

type rig struct {
	t     *testing.T
	dir   string
	id    string
	path  string // slot A
	k     keys
	board *board.Board

	client     mqtt.Client
	answers    chan telemetry.ConfigStatus
	heartbeats chan telemetry.Heartbeat

	m      *Manager
	booted time.Time
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:1883", time.Second); err != nil {
		t.Fatalf("Mosquitto is not listening on 127.0.0.1:1883 (.ci/run starts it): %v", err)
	} else {
		c.Close()
	}
	r := &rig{t: t, dir: t.TempDir(), id: fmt.Sprintf("apply-%d", time.Now().UnixNano()), k: newKeys(t), board: board.New(),
		answers: make(chan telemetry.ConfigStatus, 100), heartbeats: make(chan telemetry.Heartbeat, 100)}
	c := ads1115.New(nil)
	c.SetInput(0, ads1115.NewLoop(150*physic.Ohm, 0, 10, func(time.Time) float64 { return 2.5 }))
	r.board.I2C("1").Attach(0x48, c) // nothing answers at 0x49

	r.client = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(mosquitto).SetClientID(r.id + "-engineer"))
	if tok := r.client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to Mosquitto: %v", tok.Error())
	}
	t.Cleanup(func() {
		for _, topic := range []string{telemetry.ConfigTopic(r.id), telemetry.ConfigStatusTopic(r.id), telemetry.StatusTopic(r.id)} {
			r.client.Publish(topic, 1, true, []byte{}).WaitTimeout(5 * time.Second)
		}
		r.client.Disconnect(100)
	})
	sub := func(topic string, f func([]byte)) {
		tok := r.client.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { f(m.Payload()) })
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", topic, tok.Error())
		}
	}
	sub(telemetry.ConfigStatusTopic(r.id), func(p []byte) {
		var st telemetry.ConfigStatus
		if len(p) > 0 && json.Unmarshal(p, &st) == nil {
			r.answers <- st
		}
	})
	sub(telemetry.HeartbeatTopic(r.id), func(p []byte) {
		var hb telemetry.Heartbeat
		if json.Unmarshal(p, &hb) == nil {
			select {
			case r.heartbeats <- hb:
			default:
			}
		}
	})
	return r
}

// config is the device's config with the sensors at addrs, sampled every
// interval, signed.
func (r *rig) config(broker, interval string, addrs ...int) []byte {
	return r.k.sign(r.t, levelConfig(r.id, broker, interval, addrs...))
}

// boot starts the agent from slot A.
func (r *rig) boot() {
	r.t.Helper()
	m, err := New(Opts{Path: r.path, Trust: r.k.trust, Deadline: deadline, Env: r.board})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.m, r.cancel, r.done, r.booted = m, cancel, make(chan error, 1), time.Now()
	go func() { r.done <- m.Run(ctx) }()
	r.t.Cleanup(r.stop)
}

// stop stops the agent (again: it is idempotent) and waits for it.
func (r *rig) stop() {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			r.t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(15 * time.Second):
		r.t.Error("the agent did not stop within 15 s")
	}
}

func (r *rig) flash(data []byte) {
	r.t.Helper()
	if tok := r.client.Publish(telemetry.ConfigTopic(r.id), 1, true, data); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		r.t.Fatalf("flash: %v", tok.Error())
	}
}

// answer waits for the next answer and checks it, its time aside.
func (r *rig) answer(want telemetry.ConfigStatus) {
	r.t.Helper()
	r.answerSince(time.Time{}, want)
}

// answerSince is answer for the first answer given at or after since.
// Those before it must be want too: the agent answers a config again each
// time the broker hands it over (every connection), so how many copies of
// an answer arrive depends on when connections come up.
func (r *rig) answerSince(since time.Time, want telemetry.ConfigStatus) {
	r.t.Helper()
	for {
		select {
		case got := <-r.answers:
			at := got.Time
			if at.IsZero() || time.Since(at) > time.Minute {
				r.t.Errorf("answer time %v is not now", at)
			}
			got.Time = time.Time{}
			if got != want {
				r.t.Fatalf("answer:\n got %+v\nwant %+v", got, want)
			}
			if !at.Before(since) {
				return
			}
		case <-time.After(20 * time.Second):
			r.t.Fatalf("no answer within 20 s; want %+v", want)
		}
	}
}

func (r *rig) waitFor(what string, ok func() bool) {
	r.t.Helper()
	limit := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(limit) {
			r.t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *rig) connected() bool {
	st, err := r.m.Status()
	return err == nil && st.Uplink.Connected
}

// slots checks that slot A holds want and that no slot B nor trial is left.
func (r *rig) slots(want []byte) {
	r.t.Helper()
	if got, _ := os.ReadFile(r.path); !bytes.Equal(got, want) {
		r.t.Errorf("slot A holds:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(r.path + SuffixNext); !os.IsNotExist(err) {
		r.t.Errorf("slot B is left: %v", err)
	}
	if st, err := readState(r.path + SuffixState); err != nil || st.Trying != nil {
		r.t.Errorf("state %+v, %v: a trial is left on record", st, err)
	}
}

// Unsigned and tampered configs are answered "rejected" and change
// nothing: no restart, slot A as it was.
func TestUnsignedAndTamperedAreRejected(t *testing.T) {
	r := newRig(t)
	a := r.config(mosquitto, "200ms", 0x48)
	r.path = writeConfig(t, r.dir, a)
	r.boot()
	r.waitFor("connected", r.connected)

	unsigned := []byte(levelConfig(r.id, mosquitto, "1s", 0x48))
	r.flash(unsigned)
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(unsigned), Result: telemetry.ConfigRejected,
		Reason: `config is not signed (no "# xiuhua-signature: " line)`, Running: configs.Hash(a)})

	tampered := bytes.Replace(r.config(mosquitto, "1s", 0x48), []byte("interval: 1s"), []byte("interval: 5s"), 1)
	r.flash(tampered)
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(tampered), Result: telemetry.ConfigRejected,
		Reason: "signature does not match the config: tampered or corrupted (key " + r.k.id + ")", Running: configs.Hash(a)})

	if s := r.m.Stats(); s != (Stats{Pipelines: 1, Rejected: 2}) {
		t.Errorf("stats %+v; want one pipeline, never restarted, and two rejections", s)
	}
	if r.m.Running() != configs.Hash(a) {
		t.Errorf("running %s, want %s", r.m.Running(), configs.Hash(a))
	}
	r.slots(a)
}

// A config naming a sensor that does not answer (nothing at 0x49) is
// rolled back: the old config runs again and its readings keep coming.
// After a reboot the retained bad config is answered again, not tried.
func TestRollbackWhenASensorDoesNotAnswer(t *testing.T) {
	r := newRig(t)
	a := r.config(mosquitto, "200ms", 0x48)
	r.path = writeConfig(t, r.dir, a)
	r.boot()
	r.waitFor("connected", r.connected)

	b := r.config(mosquitto, "200ms", 0x48, 0x49)
	r.flash(b)
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplying, Running: configs.Hash(a)})
	reason := `sensor "level2" (ads1115level on I2C bus 1 at 0x49) gave no reading within 2s: ` +
		`ads1115level: probe 0x49 on emulated-i2c-1: i2c 1: no device answers at 0x49 (NACK)`
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigRolledBack, Reason: reason, Running: configs.Hash(a)})
	if s := r.m.Stats(); s != (Stats{Pipelines: 3, RolledBack: 1}) {
		t.Errorf("stats %+v; want three pipelines (A, B, A again) and one rollback", s)
	}
	if r.m.Running() != configs.Hash(a) {
		t.Errorf("running %s, want slot A's %s", r.m.Running(), configs.Hash(a))
	}
	st, _ := r.m.Status()
	if _, ok := st.Samplers["level2"]; ok || len(st.Samplers) != 1 {
		t.Errorf("samplers after the rollback: %v; want slot A's only", st.Samplers)
	}
	good, next := st.Good["level"], st.Outbox.NextSeq
	r.waitFor("slot A's readings keep coming", func() bool {
		st, err := r.m.Status()
		return err == nil && st.Good["level"] >= good+5 && st.Outbox.NextSeq > next
	})
	r.slots(a)

	// A reboot: the broker hands the retained bad config over again.
	r.stop()
	r.boot()
	r.answerSince(r.booted, telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigRolledBack, Reason: reason, Running: configs.Hash(a)})
	if s := r.m.Stats(); s != (Stats{Pipelines: 1}) {
		t.Errorf("stats after the reboot %+v; want the bad config not tried again", s)
	}
	r.slots(a)
}

// A config flashed while the device was off (retained) is applied when it
// connects: the new hash is answered and carried by the heartbeats, and
// slot A holds the new config. The same config again changes nothing.
func TestApplyCommits(t *testing.T) {
	r := newRig(t)
	a := r.config(mosquitto, "500ms", 0x48)
	r.path = writeConfig(t, r.dir, a)
	b := r.config(mosquitto, "100ms", 0x48) // only the interval changes
	r.flash(b)
	r.boot()
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplying, Running: configs.Hash(a)})
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplied, Running: configs.Hash(b)})
	// The new pipeline's subscription brings the retained config again.
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplied, Running: configs.Hash(b)})
	if r.m.Running() != configs.Hash(b) {
		t.Errorf("running %s, want %s", r.m.Running(), configs.Hash(b))
	}
	r.slots(b)
	r.waitFor("a heartbeat with the new hash", func() bool {
		select {
		case hb := <-r.heartbeats:
			return hb.ConfigHash == configs.Hash(b)
		default:
			return false
		}
	})
	r.flash(b)
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplied, Running: configs.Hash(b)})
	if s := r.m.Stats(); s != (Stats{Pipelines: 2, Applied: 1}) {
		t.Errorf("stats %+v; want two pipelines (A, then B) and one apply", s)
	}
}

// A config whose broker does not answer is rolled back, and the answer
// goes through slot A's uplink, the one that connects.
func TestRollbackWhenTheBrokerDoesNotAnswer(t *testing.T) {
	r := newRig(t)
	a := r.config(mosquitto, "200ms", 0x48)
	r.path = writeConfig(t, r.dir, a)
	r.boot()
	r.waitFor("connected", r.connected)
	b := r.config("tcp://127.0.0.1:1", "200ms", 0x48)
	r.flash(b)
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplying, Running: configs.Hash(a)})
	r.answer(telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigRolledBack, Running: configs.Hash(a),
		Reason: "uplink did not connect to tcp://127.0.0.1:1 within 2s: dial tcp 127.0.0.1:1: connect: connection refused"})
	r.slots(a)
	if !strings.HasPrefix(r.m.Running(), configs.Hash(a)) {
		t.Errorf("running %s, want %s", r.m.Running(), configs.Hash(a))
	}
}
