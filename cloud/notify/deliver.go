package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
)

// The robots' answers that mean "try again later"; every other non-zero
// errcode is permanent.
const (
	busy              = -1     // both: 系统繁忙, system busy
	wecomRateLimit    = 45009  // WeCom: 接口调用超过限制 (20 messages a minute per robot)
	dingtalkRateLimit = 130101 // DingTalk: send too fast, exceed 20 times per minute
)

// permanentError is a refusal that no retry will change.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(format string, args ...any) error {
	return permanentError{fmt.Errorf(format, args...)}
}

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// deliver makes one attempt at sending m on c. It returns nil when the
// destination took the message, a permanentError when it refused it for
// good, and any other error when a later attempt may succeed.
func (n *Notifier) deliver(ctx context.Context, c *channel, m store.Notification) error {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	switch c.Type {
	case Webhook:
		status, _, err := n.post(ctx, c.URL, m)
		if err != nil {
			return err
		}
		return statusError(status)
	case WeCom:
		return n.robot(ctx, c.URL, m, wecomRateLimit)
	case DingTalk:
		u := c.URL
		if c.Secret != "" {
			u = sign(u, c.Secret, n.o.Now())
		}
		return n.robot(ctx, u, m, dingtalkRateLimit)
	case MQTT:
		var to struct {
			Office string `json:"office"`
		}
		if err := json.Unmarshal(m.Body, &to); err != nil || to.Office == "" {
			return permanent("stored message names no office: %v", err)
		}
		return n.o.Publisher.Publish(ctx, c.Topic+"/"+to.Office, m.Body)
	}
	return permanent("unknown channel type %q", c.Type)
}

// post POSTs m's body as JSON to u and returns the answer's status and
// (the start of) its body.
func (n *Notifier) post(ctx context.Context, u string, m store.Notification) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(m.Body))
	if err != nil {
		return 0, nil, permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.Key)
	req.Header.Set("User-Agent", "xiuhua-collector")
	resp, err := n.o.Client.Do(req)
	if err != nil {
		// The URL is a credential (a robot's key or access token, a
		// signature): keep it out of logs and the outbox's LastError.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redact(ue.URL)
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode/100 != 2 {
		err = nil // the status says enough
	}
	return resp.StatusCode, body, err
}

// statusError classifies an HTTP status: 2xx is success; 408, 429 and
// 5xx are worth another try; any other answer is a refusal.
func statusError(status int) error {
	switch {
	case status/100 == 2:
		return nil
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("answered %d %s", status, http.StatusText(status))
	default:
		return permanent("answered %d %s", status, http.StatusText(status))
	}
}

// robot POSTs m to a WeCom or DingTalk robot, which answers HTTP 200 with
// {"errcode":0,"errmsg":"ok"} when it took the message.
func (n *Notifier) robot(ctx context.Context, u string, m store.Notification, rateLimit int) error {
	status, body, err := n.post(ctx, u, m)
	if err != nil {
		return err
	}
	if err := statusError(status); err != nil {
		return err
	}
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.ErrCode == nil {
		// Not the robot's answer (a proxy's page, a cut connection):
		// the robot may never have seen the message.
		return fmt.Errorf("answered %d without an errcode: %.100q", status, body)
	}
	switch code := *ans.ErrCode; code {
	case 0:
		return nil
	case busy, rateLimit:
		return fmt.Errorf("errcode %d: %s", code, ans.ErrMsg)
	default:
		return permanent("errcode %d: %s", code, ans.ErrMsg)
	}
}

// sign adds DingTalk's signature to a robot's URL: timestamp is now in
// Unix milliseconds, and sign is the base64 HMAC-SHA256, keyed with the
// secret, of "<timestamp>\n<secret>". DingTalk refuses a timestamp more
// than an hour from its clock, so it is computed for each attempt.
func sign(robotURL, secret string, now time.Time) string {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	sep := "?"
	if u, err := url.Parse(robotURL); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	return robotURL + sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// redact shortens u to its scheme and host.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(URL)"
	}
	return p.Scheme + "://" + p.Host + "/…"
}
