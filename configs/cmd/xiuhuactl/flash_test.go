package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/configs/flash"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestFlashTo(t *testing.T) {
	dir := t.TempDir()
	priv, pub, _ := newKey(t, dir, "eng")
	_, otherPub, _ := newKey(t, dir, "other")
	src := writeFile(t, dir, "gauge.yaml", gauge)
	signed := filepath.Join(dir, "gauge.signed.yaml")
	if code, _, errs := run(t, "config", "sign", "--key", priv, "-o", signed, src); code != exitOK {
		t.Fatal(errs)
	}
	hash := hashOf(t, signed)
	card := filepath.Join(dir, "sdcard")
	os.Mkdir(card, 0o755)

	// Into a directory: the file keeps its name.
	expect(t, exitOK, "wrote "+filepath.Join(card, "gauge.signed.yaml")+" "+hash+" for device gauge-1\n", "",
		"config", "flash", "--trust", pub, "--to", card, signed)
	// To a file name, replacing what is there.
	dst := filepath.Join(card, "agent.yaml")
	os.WriteFile(dst, []byte("old config\n"), 0o644)
	expect(t, exitOK, "wrote "+dst+" "+hash+" for device gauge-1\n", "", "config", "flash", "--to", dst, signed)
	if string(read(t, dst)) != string(read(t, signed)) {
		t.Error("the written config differs from the signed file")
	}
	// A new directory named with a trailing slash.
	usb := filepath.Join(dir, "usb", "xiuhua") + "/"
	expect(t, exitOK, "wrote "+filepath.Join(usb, "gauge.signed.yaml")+" "+hash+" for device gauge-1\n", "", "config", "flash", "--to", usb, signed)

	expect(t, exitProblem, "", src+" is not signed; devices take only signed configs: run config sign first\nxiuhuactl: "+src+" not flashed\n",
		"config", "flash", "--to", card, src)
	expect(t, exitProblem, "", signed+": config is signed by a key this device does not trust (key "+keyID(t, pub)+")\nxiuhuactl: "+signed+" not flashed\n",
		"config", "flash", "--trust", otherPub, "--to", card, signed)
	entries, _ := os.ReadDir(card)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "agent.yaml gauge.signed.yaml" {
		t.Errorf("the card holds %v; want the two configs and no temporary files", names)
	}
}

func keyID(t *testing.T, pubFile string) string {
	t.Helper()
	k, err := configs.ParsePublicKey(read(t, pubFile))
	if err != nil {
		t.Fatal(err)
	}
	return configs.KeyID(k)
}

const broker = "tcp://127.0.0.1:1883"

// answerTime stamps every test device's answers.
var answerTime = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// answerFor starts, on broker, a device that follows the agent's side of
// the config protocol: it answers every config with results (none: it
// stays silent). It clears its retained topics when the test ends.
func answerFor(t *testing.T, broker, id string, results ...string) {
	t.Helper()
	c := dial(t, broker, "dev-"+id)
	on := func(cl mqtt.Client, m mqtt.Message) {
		if len(m.Payload()) == 0 {
			return
		}
		h := configs.Hash(m.Payload())
		for _, r := range results {
			st := telemetry.ConfigStatus{Hash: h, Result: r, Running: h, Time: answerTime}
			if r == telemetry.ConfigRolledBack {
				st.Reason, st.Running = "health check: sensor sonar never answered", "previous"
			}
			p, _ := json.Marshal(st)
			cl.Publish(telemetry.ConfigStatusTopic(id), 1, true, p).Wait()
		}
	}
	if tok := c.Subscribe(telemetry.ConfigTopic(id), 1, on); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	t.Cleanup(func() {
		cl := dial(t, broker, "cleanup-"+id)
		for _, topic := range []string{telemetry.ConfigTopic(id), telemetry.ConfigStatusTopic(id)} {
			cl.Publish(topic, 1, true, []byte{}).Wait()
		}
	})
}

func dial(t *testing.T, broker, name string) mqtt.Client {
	t.Helper()
	c, err := flash.Dial(context.Background(), flash.DialOpts{Broker: broker, ClientID: "xiuhuactl-test-" + name + "-" + randHex(3)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// signedFor writes gauge's config for device id, signed with priv, into
// dir and returns its path.
func signedFor(t *testing.T, dir, priv, id string) string {
	t.Helper()
	src := writeFile(t, dir, "src/"+id+".yaml", strings.ReplaceAll(gauge, "gauge-1", id))
	out := filepath.Join(dir, "signed", id+".yaml")
	os.MkdirAll(filepath.Dir(out), 0o755)
	if code, _, errs := run(t, "config", "sign", "--key", priv, "-o", out, src); code != exitOK {
		t.Fatal(errs)
	}
	return out
}

func TestFlashOverMQTT(t *testing.T) {
	dir := t.TempDir()
	priv, pub, _ := newKey(t, dir, "eng")
	run := "fc" + randHex(3)
	good, bad, mute := run+"-good", run+"-bad", run+"-mute"
	answerFor(t, broker, good, telemetry.ConfigApplying, telemetry.ConfigApplied)
	answerFor(t, broker, bad, telemetry.ConfigApplying, telemetry.ConfigRolledBack)
	answerFor(t, broker, mute)

	f := signedFor(t, dir, priv, good)
	expect(t, exitOK, good+" applied "+hashOf(t, f)+"\n", "", "config", "flash", "--broker", broker, "--device", good, "--trust", pub, f)

	f = signedFor(t, dir, priv, bad)
	expect(t, exitProblem, bad+" rolled_back "+hashOf(t, f)+": health check: sensor sonar never answered\n", "",
		"config", "flash", "--broker", broker, "--device", bad, f)

	f = signedFor(t, dir, priv, mute)
	expect(t, exitProblem, "", "xiuhuactl: "+mute+": flash: no answer from the device: "+mute+" did not answer for config "+hashOf(t, f)[:12]+": no answer within 1s\n",
		"config", "flash", "--broker", broker, "--device", mute, "--timeout", "1s", f)

	// The config of one device is not flashed to another.
	expect(t, exitProblem, "", "xiuhuactl: "+f+` is the config of device "`+mute+`", not "`+good+`": not flashed`+"\n",
		"config", "flash", "--broker", broker, "--device", good, f)
	expect(t, exitProblem, "", "xiuhuactl: flash: connect to tcp://127.0.0.1:1: network Error : dial tcp 127.0.0.1:1: connect: connection refused\n",
		"config", "flash", "--broker", "tcp://127.0.0.1:1", "--device", mute, f)
}

func TestRolloutCommand(t *testing.T) {
	dir := t.TempDir()
	priv, pub, _ := newKey(t, dir, "eng")
	run := "rc" + randHex(3)
	var ids []string
	for i := range 5 {
		ids = append(ids, fmt.Sprintf("%s-%02d", run, i))
	}
	for i, id := range ids {
		if i == 2 {
			answerFor(t, broker, id, telemetry.ConfigRolledBack)
		} else {
			answerFor(t, broker, id, telemetry.ConfigApplied)
		}
		signedFor(t, dir, priv, id)
	}
	group := filepath.Join(dir, "signed")
	h := func(id string) string { return hashOf(t, filepath.Join(group, id+".yaml"))[:12] }
	want := "stage  reach  device       result       hash          detail\n" +
		"1      1      " + ids[0] + "  applied      " + h(ids[0]) + "\n" +
		"2      60%    " + ids[1] + "  applied      " + h(ids[1]) + "\n" +
		"2      60%    " + ids[2] + "  rolled_back  " + h(ids[2]) + "  health check: sensor sonar never answered\n" +
		"not flashed: " + ids[3] + ", " + ids[4] + "\n"
	expect(t, exitProblem, want, "xiuhuactl: rollout stopped at stage 2 (60%): 1 of 2 devices did not apply their config\n",
		"config", "rollout", "--broker", broker, "--stages", "1,60%,100%", "--trust", pub, "--deadline", "30s", group)

	// Without the failing device, every stage passes.
	os.Remove(filepath.Join(group, ids[2]+".yaml"))
	want = "stage  reach  device       result       hash          detail\n" +
		"1      1      " + ids[0] + "  applied      " + h(ids[0]) + "\n" +
		"2      50%    " + ids[1] + "  applied      " + h(ids[1]) + "\n" +
		"3      100%   " + ids[3] + "  applied      " + h(ids[3]) + "\n" +
		"3      100%   " + ids[4] + "  applied      " + h(ids[4]) + "\n" +
		"all 4 devices applied their configs\n"
	expect(t, exitOK, want, "", "config", "rollout", "--broker", broker, "--stages", "1,50%,100%", "--deadline", "30s", group)

	expect(t, exitUsage, "", "xiuhuactl: config rollout: --stages: stage 2 (10%) reaches fewer devices than stage 1 (50%); stages are cumulative\n"+rolloutUsage,
		"config", "rollout", "--broker", broker, "--stages", "50%,10%", group)
	unsigned := writeFile(t, dir, "mixed/a.yaml", gauge)
	expect(t, exitProblem, "", unsigned+" is not signed; devices take only signed configs: run config sign first\nxiuhuactl: nothing flashed\n",
		"config", "rollout", "--broker", broker, "--stages", "100%", filepath.Dir(unsigned))
}

var rolloutUsage = `usage: xiuhuactl config rollout --broker URL --stages 1,10%,100% [--deadline 5m] [--trust PUB] DIR
  -broker string
    	the devices' MQTT broker, e.g. tcp://127.0.0.1:1883 or ssl://mqtt.example.gov.cn:8883
  -ca-file string
    	PEM CA certificates for an ssl:// broker (default: the system's roots)
  -deadline duration
    	how long each stage's devices have to answer (default 5m0s)
  -password string
    	MQTT password (default: $XIUHUA_MQTT_PASSWORD)
  -stages string
    	cumulative stages: counts of devices or percentages of the group, e.g. 1,10%,100%
  -trust string
    	check every signature against these public keys first
  -username string
    	MQTT user
`
