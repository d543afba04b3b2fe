package flash

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestFlash(t *testing.T) {
	_, priv, _ := configs.GenerateKey()
	ids := deviceIDs(4)
	applier, roller, rejecter, mute := ids[0], ids[1], ids[2], ids[3]
	devs := startDevices(t, ids, map[string]behaviour{applier: apply, roller: rollBack, rejecter: reject, mute: silent})
	c := dial(t, "tool")

	// A stale retained answer about another config must not be taken
	// for the answer to this one.
	stale, _ := json.Marshal(status("feedfacefeedface", telemetry.ConfigApplied))
	if tok := c.Publish(telemetry.ConfigStatusTopic(applier), 1, true, stale); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	for _, tc := range []struct {
		id     string
		result string
	}{{applier, telemetry.ConfigApplied}, {roller, telemetry.ConfigRolledBack}, {rejecter, telemetry.ConfigRejected}} {
		data := signedConfig(t, tc.id, priv)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		st, err := Flash(ctx, c, tc.id, data)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if want := status(configs.Hash(data), tc.result); !reflect.DeepEqual(st, want) {
			t.Errorf("%s: answer %+v, want %+v", tc.id, st, want)
		}
		if got := devs[tc.id].received(); len(got) != 1 || string(got[0]) != string(data) {
			t.Errorf("%s: device received %q, want the signed config once", tc.id, got)
		}
		// The config stays retained for a device that reconnects.
		if got := retained(t, []string{telemetry.ConfigTopic(tc.id)}); got[telemetry.ConfigTopic(tc.id)] != string(data) {
			t.Errorf("%s: retained config %q, want the signed file", tc.id, got)
		}
	}

	t.Run("no answer", func(t *testing.T) {
		data := signedConfig(t, mute, priv)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, err := Flash(ctx, c, mute, data)
		want := mute + " did not answer for config " + configs.Hash(data)[:12] + ": context deadline exceeded"
		if !errors.Is(err, ErrNoAnswer) || err.Error() != "flash: no answer from the device: "+want || st != (telemetry.ConfigStatus{}) {
			t.Errorf("Flash = %+v, %v; want ErrNoAnswer: %s", st, err, want)
		}
	})

	t.Run("answer already retained", func(t *testing.T) {
		// The device applied this very config before: its retained answer
		// is the answer, even with the device offline now.
		data := signedConfig(t, applier, priv)
		devs[applier].set(silent)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := Flash(ctx, c, applier, data)
		if err != nil || st.Result != telemetry.ConfigApplied || st.Hash != configs.Hash(data) {
			t.Errorf("Flash = %+v, %v; want the retained applied answer", st, err)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		if _, err := Flash(context.Background(), c, "bad id", []byte("x")); err == nil || err.Error() != `flash: telemetry: device id "bad id" has ' ' at 3; only letters, digits, '.', '_' and '-' are allowed` {
			t.Errorf("bad id: %v", err)
		}
		if _, err := Flash(context.Background(), c, applier, nil); err == nil || err.Error() != "flash: empty config" {
			t.Errorf("empty config: %v", err)
		}
	})
}
