package notify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// reply is a robot's answer: an HTTP status and, with 200, an errcode.
// Status 200 with errcode noJSON answers a body that is not JSON.
type reply struct{ status, errcode int }

const noJSON = 1 << 30

var robotMessages = map[int]string{
	0:      "ok",
	-1:     "system busy",
	45009:  "api freq out of limit",
	93000:  "invalid webhook url",
	130101: "send too fast, exceed 20 times per minute",
	310000: "sign not match",
	300001: "token is not exist",
}

// answerRobot writes rep, or the robot's refusal when check found the
// request wrong.
func answerRobot(w http.ResponseWriter, rep reply, refusal int) {
	if refusal != 0 {
		rep = reply{200, refusal}
	}
	if rep.status != http.StatusOK {
		w.WriteHeader(rep.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.errcode == noJSON {
		fmt.Fprint(w, "<html>502 Bad Gateway</html>")
		return
	}
	fmt.Fprintf(w, `{"errcode":%d,"errmsg":%q}`, rep.errcode, robotMessages[rep.errcode])
}

func replyAt(replies []reply, i int) reply {
	if len(replies) == 0 {
		return reply{200, 0}
	}
	return replies[min(i, len(replies)-1)]
}

// wecomRequest is a WeCom robot's text or markdown message.
type wecomRequest struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content             string   `json:"content"`
		MentionedList       []string `json:"mentioned_list"`
		MentionedMobileList []string `json:"mentioned_mobile_list"`
	} `json:"text"`
	Markdown *struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// newWeCom emulates a WeCom group robot at /cgi-bin/webhook/send?key=k: it
// refuses what the robot would (a wrong key, an unknown field, a missing
// or oversized content) and otherwise gives the replies in turn.
func newWeCom(t *testing.T, replies ...reply) *endpoint {
	t.Helper()
	return newEndpoint(t, func(i int, r request, w http.ResponseWriter, _ *http.Request) {
		refusal := 0
		var m wecomRequest
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		q, _ := url.ParseQuery(r.RawQuery)
		switch err := dec.Decode(&m); {
		case r.Method != http.MethodPost || r.Path != "/cgi-bin/webhook/send" || q.Get("key") != "k":
			t.Errorf("WeCom robot: %s %s?%s", r.Method, r.Path, r.RawQuery)
			refusal = 93000
		case err != nil:
			t.Errorf("WeCom robot: body %s: %v", r.Body, err)
			refusal = 40008
		case m.MsgType == "text" && m.Text != nil && m.Markdown == nil:
			if n := len(m.Text.Content); n == 0 || n > 2048 {
				t.Errorf("WeCom robot: text content of %d bytes", n)
				refusal = 40058
			}
		case m.MsgType == "markdown" && m.Markdown != nil && m.Text == nil:
			if n := len(m.Markdown.Content); n == 0 || n > 4096 {
				t.Errorf("WeCom robot: markdown content of %d bytes", n)
				refusal = 40058
			}
		default:
			t.Errorf("WeCom robot: not a text or markdown message: %s", r.Body)
			refusal = 40008
		}
		answerRobot(w, replyAt(replies, i), refusal)
	})
}

func TestWeComRobot(t *testing.T) {
	withPhones := message("3f2a9c:opened", "city-operations")
	withPhones.Contacts = []notify.Contact{{Name: "王芳", Phone: "13800001111"}, {Name: "值班室"}, {Name: "李强", Phone: "13900002222"}}
	noPhones := withPhones
	noPhones.Contacts = []notify.Contact{{Name: "值班室"}}
	tests := []struct {
		name     string
		m        notify.Message
		replies  []reply
		msgtype  string
		mobiles  []string
		attempts int
		state    string
		lastErr  string
	}{
		{"phones: text with mentions", withPhones, nil, "text", []string{"13800001111", "13900002222"}, 1, store.Delivered, ""},
		{"no phones: markdown", noPhones, nil, "markdown", nil, 1, store.Delivered, ""},
		{"rate limit is retried", noPhones, []reply{{200, 45009}, {200, 45009}, {200, 0}}, "markdown", nil, 3, store.Delivered, ""},
		{"system busy is retried", noPhones, []reply{{200, -1}, {200, 0}}, "markdown", nil, 2, store.Delivered, ""},
		{"HTTP 502 is retried", noPhones, []reply{{502, 0}, {200, 0}}, "markdown", nil, 2, store.Delivered, ""},
		{"an answer without errcode is retried", noPhones, []reply{{200, noJSON}, {200, 0}}, "markdown", nil, 2, store.Delivered, ""},
		{"other errcodes are final", noPhones, []reply{{200, 93000}}, "markdown", nil, 1, store.Failed, "errcode 93000: invalid webhook url"},
		{"HTTP 404 is final", noPhones, []reply{{404, 0}}, "markdown", nil, 1, store.Failed, "answered 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			robot := newWeCom(t, tt.replies...)
			q := newStore(t)
			n := newNotifier(t, q, notify.Opts{
				Channels: []notify.Channel{{Name: "group", Type: notify.WeCom, URL: robot.URL + "/cgi-bin/webhook/send?key=k"}},
				Backoff:  fast, Now: newClock(t0).Now,
			})
			running(t, n)
			send(t, n, tt.m)
			settled(t, n, 1)
			got := robot.requests()
			if len(got) != tt.attempts {
				t.Fatalf("robot got %d requests, want %d", len(got), tt.attempts)
			}
			var m wecomRequest
			if err := json.Unmarshal(got[0].Body, &m); err != nil {
				t.Fatal(err)
			}
			var content string
			var mobiles []string
			switch {
			case m.Text != nil:
				content, mobiles = m.Text.Content, m.Text.MentionedMobileList
			case m.Markdown != nil:
				content = m.Markdown.Content
			}
			if m.MsgType != tt.msgtype || !slices.Equal(mobiles, tt.mobiles) {
				t.Errorf("msgtype %q mentioning %q, want %q mentioning %q", m.MsgType, mobiles, tt.msgtype, tt.mobiles)
			}
			for _, want := range []string{"【严重】新告警", tt.m.Alert.Message, "值班室", "幂等键 3f2a9c:opened"} {
				if !strings.Contains(content, want) {
					t.Errorf("content lacks %q:\n%s", want, content)
				}
			}
			ns := outbox(t, q, "group")
			if len(ns) != 1 || ns[0].State != tt.state || ns[0].Attempts != tt.attempts || ns[0].LastError != tt.lastErr {
				t.Errorf("outbox holds %s, want state %s after %d attempts, last error %q", describe(ns), tt.state, tt.attempts, tt.lastErr)
			}
		})
	}
}

// dingtalkRequest is a DingTalk robot's markdown message.
type dingtalkRequest struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

// newDingTalk emulates a DingTalk custom robot at /robot/send?access_token=t
// that checks signatures made with secret ("" for a robot that does not)
// against now, within an hour as DingTalk does. It refuses what the robot
// would and otherwise gives the replies in turn.
func newDingTalk(t *testing.T, secret string, now func() time.Time, replies ...reply) *endpoint {
	t.Helper()
	return newEndpoint(t, func(i int, r request, w http.ResponseWriter, _ *http.Request) {
		refusal := 0
		var m dingtalkRequest
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil || r.Method != http.MethodPost || r.Path != "/robot/send" || q.Get("access_token") != "t" {
			t.Errorf("DingTalk robot: %s %s?%s (%v)", r.Method, r.Path, r.RawQuery, err)
			refusal = 300001
		}
		if secret != "" && refusal == 0 {
			ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			mac := hmac.New(sha256.New, []byte(secret))
			fmt.Fprintf(mac, "%s\n%s", q.Get("timestamp"), secret)
			sign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			skew := now().Sub(time.UnixMilli(ts)).Abs()
			if err != nil || q.Get("sign") != sign || skew > time.Hour {
				t.Errorf("DingTalk robot: timestamp %q (%v from now), sign %q, want %q", q.Get("timestamp"), skew, q.Get("sign"), sign)
				refusal = 310000
			}
		}
		if err := dec.Decode(&m); err != nil || m.MsgType != "markdown" || m.Markdown.Title == "" || m.Markdown.Text == "" || m.At.IsAtAll {
			t.Errorf("DingTalk robot: body %s (%v)", r.Body, err)
			refusal = 400002
		}
		for _, p := range m.At.AtMobiles {
			if !strings.Contains(m.Markdown.Text, "@"+p) {
				t.Errorf("DingTalk robot: mentions %s, which the text does not name:\n%s", p, m.Markdown.Text)
			}
		}
		answerRobot(w, replyAt(replies, i), refusal)
	})
}

func TestDingTalkRobot(t *testing.T) {
	m := message("3f2a9c:opened", "city-operations")
	m.Contacts = []notify.Contact{{Name: "王芳", Phone: "13800001111"}, {Name: "值班室"}, {Name: "李强", Phone: "13900002222"}}
	tests := []struct {
		name     string
		secret   string
		replies  []reply
		attempts int
		state    string
		lastErr  string
	}{
		{"signed", "SEC0123456789abcdef", nil, 1, store.Delivered, ""},
		{"unsigned", "", nil, 1, store.Delivered, ""},
		{"rate limit is retried", "SECx", []reply{{200, 130101}, {200, 0}}, 2, store.Delivered, ""},
		{"system busy is retried", "SECx", []reply{{200, -1}, {200, 0}}, 2, store.Delivered, ""},
		{"HTTP 503 is retried", "SECx", []reply{{503, 0}, {200, 0}}, 2, store.Delivered, ""},
		{"other errcodes are final", "SECx", []reply{{200, 310000}}, 1, store.Failed, "errcode 310000: sign not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(t0)
			robot := newDingTalk(t, tt.secret, clk.Now, tt.replies...)
			q := newStore(t)
			n := newNotifier(t, q, notify.Opts{
				Channels: []notify.Channel{{Name: "group", Type: notify.DingTalk, URL: robot.URL + "/robot/send?access_token=t", Secret: tt.secret}},
				Backoff:  fast, Now: clk.Now,
			})
			send(t, n, m)
			// The message waited two hours for the robot: its signature
			// is made when it is sent, so DingTalk still takes it.
			clk.Advance(2 * time.Hour)
			running(t, n)
			settled(t, n, 1)
			got := robot.requests()
			if len(got) != tt.attempts {
				t.Fatalf("robot got %d requests, want %d", len(got), tt.attempts)
			}
			q0, _ := url.ParseQuery(got[0].RawQuery)
			if tt.secret == "" && (q0.Has("timestamp") || q0.Has("sign")) {
				t.Errorf("unsigned robot got query %q", got[0].RawQuery)
			}
			var req dingtalkRequest
			if err := json.Unmarshal(got[0].Body, &req); err != nil {
				t.Fatal(err)
			}
			if want := []string{"13800001111", "13900002222"}; !slices.Equal(req.At.AtMobiles, want) {
				t.Errorf("atMobiles %q, want %q", req.At.AtMobiles, want)
			}
			for _, want := range []string{"【严重】新告警", m.Alert.Message, "值班室", "幂等键 3f2a9c:opened"} {
				if !strings.Contains(req.Markdown.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, req.Markdown.Text)
				}
			}
			ns := outbox(t, q, "group")
			if len(ns) != 1 || ns[0].State != tt.state || ns[0].Attempts != tt.attempts || ns[0].LastError != tt.lastErr {
				t.Errorf("outbox holds %s, want state %s after %d attempts, last error %q", describe(ns), tt.state, tt.attempts, tt.lastErr)
			}
		})
	}
}

// TestErrorsHideRobotKey: a robot's URL is its credential; what the outbox
// and the logs keep of a failed attempt does not show it.
func TestErrorsHideRobotKey(t *testing.T) {
	q := newStore(t)
	var logs bytes.Buffer
	n := newNotifier(t, q, notify.Opts{
		Channels: []notify.Channel{{Name: "group", Type: notify.WeCom, URL: downURL(t) + "?key=SECRETKEY"}},
		Backoff:  fast, Now: newClock(t0).Now, Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	})
	stop := running(t, n)
	send(t, n, message("k", "x"))
	eventually(t, "retrying", func() bool { return n.Stats().Retried > 0 })
	stop()
	ns := outbox(t, q, "group")
	if len(ns) != 1 || ns[0].LastError == "" || strings.Contains(ns[0].LastError, "SECRETKEY") {
		t.Errorf("outbox holds %s, want a last error without the key", describe(ns))
	}
	if strings.Contains(logs.String(), "SECRETKEY") || !strings.Contains(logs.String(), "will retry") {
		t.Errorf("logs show the key, or no retry:\n%s", logs.String())
	}
}

// syncWriter serialises the writes of the notifier's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
