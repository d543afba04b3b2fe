package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with what the formats produce")

// formatChannels has one channel of each type; their bodies are what the
// golden files hold.
var formatChannels = []notify.Channel{
	{Name: "hook", Type: notify.Webhook, URL: "http://127.0.0.1:1/hook"},
	{Name: "wecom", Type: notify.WeCom, URL: "http://127.0.0.1:1/cgi-bin/webhook/send?key=k"},
	{Name: "dingtalk", Type: notify.DingTalk, URL: "http://127.0.0.1:1/robot/send?access_token=t", Secret: "SECx"},
	{Name: "mqtt", Type: notify.MQTT},
}

// formatCases are one message of each event, between them showing every
// line the formats have.
func formatCases() []struct {
	name string
	m    notify.Message
} {
	duty := []notify.Contact{{Name: "王芳", Phone: "13800001111"}, {Name: "李强", Phone: "13900002222"}, {Name: "值班室"}}

	opened := message("3f2a9c:opened", "city-operations")
	opened.OfficeName = "城市运行管理中心"
	opened.Contacts = duty

	acked := opened
	acked.Key, acked.Event = "3f2a9c:acknowledged", notify.EventAcknowledged
	acked.Alert.State, acked.Alert.AckedAt, acked.Alert.AckedBy = store.Acknowledged, ptr(t0.Add(9*time.Minute)), "王芳"
	acked.Contacts = nil // an office without duty phones gets WeCom's markdown

	res := message("77b0e1:resolved", "river-chief")
	res.Event, res.OfficeName = notify.EventResolved, "河长办"
	res.Alert = store.Alert{
		ID: "77b0e1", Rule: "level-high", Kind: "threshold", Plan: "flood", Category: "water", Device: "river-1", Sensor: "level",
		Quantity: "water_level", Site: "苏州河 长寿路桥", District: "普陀区", Office: "river-chief", Severity: "warning",
		State: store.Resolved, Opened: t0, Resolved: ptr(resolved), Raised: t0.Add(3 * time.Hour), Retrospective: true,
		ResolvedBy: "auto", Value: 3.215, Limit: 3.5, Unit: "m", Message: "苏州河水位 3.62 m，超过警戒水位 3.5 m",
	}
	res.Contacts = []notify.Contact{{Name: "赵伟", Phone: "13700003333"}}

	esc := opened
	esc.Key, esc.Event = "3f2a9c:escalated:2", notify.EventEscalated
	esc.Office, esc.OfficeName = "district-emergency", "静安区应急管理局"
	esc.Alert.Escalation, esc.Alert.Escalated, esc.Alert.EscalatedAt = 2, []string{"city-operations", "district-emergency"}, ptr(t0.Add(time.Hour))
	esc.Contacts = []notify.Contact{{Name: "陈静"}}

	flap := message("9c41d2:flapping", "elevator-safety")
	flap.Event, flap.OfficeName, flap.Note = notify.EventFlapping, "电梯安全办", "opened 5 times in 1h"
	flap.Alert = store.Alert{
		ID: "9c41d2", Rule: "door-open-moving", Kind: "event", Plan: "lifts", Category: "elevator", Device: "lift-3", Sensor: "door",
		Quantity: "event_door_open_moving", Site: "曹杨新村 12 号楼", District: "普陀区", Office: "elevator-safety", Severity: "info",
		State: store.Open, Opened: t0, Flaps: 4, Value: 1, Message: "运行中开门",
	}
	flap.Contacts = []notify.Contact{{Name: "孙磊", Phone: "13600004444"}, {Name: "孙磊", Phone: "13600004444"}}

	return []struct {
		name string
		m    notify.Message
	}{{"opened", opened}, {"acknowledged", acked}, {"resolved", res}, {"escalated", esc}, {"flapping", flap}}
}

func ptr[T any](v T) *T { return &v }

// formatted sends m through a notifier with one channel of each type and
// returns the bodies the outbox holds, by channel.
func formatted(t *testing.T, m notify.Message) map[string][]byte {
	t.Helper()
	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{
		Channels:  formatChannels,
		Publisher: publisherFunc(func(context.Context, string, []byte) error { return nil }),
		BaseURL:   "https://xiuhua.example.gov.cn/",
	})
	send(t, n, m)
	bodies := make(map[string][]byte)
	for _, note := range outbox(t, q, "") {
		if note.Key != m.Key {
			t.Errorf("%s: key %q, want %q", note.Channel, note.Key, m.Key)
		}
		bodies[note.Channel] = note.Body
	}
	if len(bodies) != len(formatChannels) {
		t.Fatalf("outbox holds bodies for %d channels, want %d", len(bodies), len(formatChannels))
	}
	return bodies
}

// robotContent is the text a robot's body shows, for review beside the
// body's exact bytes.
func robotContent(t *testing.T, body []byte) string {
	t.Helper()
	var b struct {
		Text     struct{ Content string }
		Markdown struct{ Content, Title, Text string }
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if b.Markdown.Title != "" {
		return "title: " + b.Markdown.Title + "\n\n" + b.Markdown.Text + "\n"
	}
	return b.Text.Content + b.Markdown.Content + "\n"
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestFormatsGolden(t *testing.T) {
	for _, tc := range formatCases() {
		t.Run(tc.name, func(t *testing.T) {
			bodies := formatted(t, tc.m)
			golden(t, tc.name+".webhook.golden", bodies["hook"])
			golden(t, tc.name+".wecom.golden", bodies["wecom"])
			golden(t, tc.name+".wecom.content.golden", []byte(robotContent(t, bodies["wecom"])))
			golden(t, tc.name+".dingtalk.golden", bodies["dingtalk"])
			golden(t, tc.name+".dingtalk.content.golden", []byte(robotContent(t, bodies["dingtalk"])))
			if !bytes.Equal(bodies["mqtt"], bodies["hook"]) {
				t.Errorf("MQTT payload\n%s\ndiffers from the webhook body\n%s", bodies["mqtt"], bodies["hook"])
			}
		})
	}
}

// TestFormatsFitRobotLimits: however long an alert's texts and however
// many contacts, a robot's content stays within its documented size and
// keeps its footer.
func TestFormatsFitRobotLimits(t *testing.T) {
	m := message("3f2a9c:opened", "city-operations")
	m.Alert.Message = strings.Repeat("超标", 3000)
	m.Note = strings.Repeat("说明\n", 3000)
	m.OfficeName = strings.Repeat("办", 500)
	for i := range 300 {
		m.Contacts = append(m.Contacts, notify.Contact{Name: strings.Repeat("名", 40), Phone: "1380000" + string(rune('0'+i%10)) + "000"[:3]})
	}
	m.Contacts = append(m.Contacts, notify.Contact{Name: "无电话"})
	for _, phones := range []bool{true, false} {
		if !phones {
			for i := range m.Contacts {
				m.Contacts[i].Phone = ""
			}
		}
		bodies := formatted(t, m)
		for _, ch := range []struct {
			name  string
			limit int
		}{{"wecom", 4096}, {"dingtalk", 4096}} {
			limit := ch.limit
			var b struct {
				MsgType  string
				Text     struct{ Content string }
				Markdown struct{ Content, Text string }
			}
			if err := json.Unmarshal(bodies[ch.name], &b); err != nil {
				t.Fatal(err)
			}
			content := b.Text.Content + b.Markdown.Content + b.Markdown.Text
			if b.MsgType == "text" {
				limit = 2048
			}
			if len(content) > limit || !utf8.ValidString(content) || !strings.Contains(content, "幂等键 3f2a9c:opened") {
				t.Errorf("%s %s with phones %v: %d bytes (limit %d), valid UTF-8 %v, footer kept %v", ch.name, b.MsgType, phones,
					len(content), limit, utf8.ValidString(content), strings.Contains(content, "幂等键 3f2a9c:opened"))
			}
		}
	}
}

// TestFormatsShowValueAsStored checks that the robots show an alert's
// value as cloud/alert stored it (rounded to read beside its limit) and
// its limit as the plan gave it: rounding either again would put a value
// that only just crossed its limit back on it, or a limit off the plan's.
func TestFormatsShowValueAsStored(t *testing.T) {
	tests := []struct {
		name       string
		value, lim float64
		unit       string
		want       string
	}{
		{"rate just above its limit", 0.304, 0.3, "m/h", "数值：0.304 m/h（限值 0.3 m/h）"},
		{"value five figures keep off its limit", 75.00004, 75, "ug/m3", "数值：75.00004 ug/m3（限值 75 ug/m3）"},
		{"sub-unit value", 0.004123, 0.004, "m/s2", "数值：0.004123 m/s2（限值 0.004 m/s2）"},
		{"large value and a limit of six figures", 123456.8, 110000.5, "Pa", "数值：123456.8 Pa（限值 110000.5 Pa）"},
		{"negative", -31.5, -20, "mm/min", "数值：-31.5 mm/min（限值 -20 mm/min）"},
		{"equal to its limit", 4.8, 4.8, "m", "数值：4.8 m（限值 4.8 m）"},
		{"count", 3, 2, "", "数值：3（限值 2）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message("3f2a9c:opened", "city-operations")
			m.Alert.Value, m.Alert.Limit, m.Alert.Unit = tt.value, tt.lim, tt.unit
			bodies := formatted(t, m)
			for _, ch := range []string{"wecom", "dingtalk"} {
				if got := robotContent(t, bodies[ch]); !strings.Contains(got, tt.want) {
					t.Errorf("%s shows\n%s\nwithout %q", ch, got, tt.want)
				}
			}
		})
	}
}
