package configs

import (
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Checks shared by the three kinds of file. Each reports at path and
// returns whether the value passed, so that callers can skip checks that
// depend on it.

var (
	// namePattern is for sensor and webhook names: they become parts of
	// stream names, metric labels and log lines.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	// idPattern is for plan, rule and office ids: they appear in URLs and
	// alert keys, where case-insensitive stores would fold "A" into "a".
	idPattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
)

func (c *checker) required(path, v string) bool {
	if v == "" {
		c.add(path, "required")
		return false
	}
	return true
}

func (c *checker) name(path, v string) bool {
	if !c.required(path, v) {
		return false
	}
	if !namePattern.MatchString(v) {
		c.add(path, "%q is not a valid name; use 1 to 32 letters, digits, '_' or '-'", v)
		return false
	}
	return true
}

func (c *checker) id(path, v string) bool {
	if !c.required(path, v) {
		return false
	}
	if !idPattern.MatchString(v) {
		c.add(path, "%q is not a valid id; use 1 to 64 lower-case letters, digits or '-'", v)
		return false
	}
	return true
}

func (c *checker) durationIn(path string, d Duration, lo, hi time.Duration) bool {
	if v := d.D(); v < lo || v > hi {
		c.add(path, "%v is out of range; use %v to %v", d, Duration(lo), Duration(hi))
		return false
	}
	return true
}

func (c *checker) intIn(path string, v, lo, hi int) bool {
	if v < lo || v > hi {
		c.add(path, "%d is out of range; use %d to %d", v, lo, hi)
		return false
	}
	return true
}

func (c *checker) finite(path string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.add(path, "%v is not a finite number", v)
		return false
	}
	return true
}

var brokerSchemes = map[string]bool{"tcp": true, "ssl": true, "mqtt": true, "mqtts": true}

// broker checks an MQTT broker URL as paho takes it: scheme://host:port.
func (c *checker) broker(path, s string) bool {
	if !c.required(path, s) {
		return false
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		c.add(path, "%q is not a broker URL; write it as tcp://host:port", s)
	case !brokerSchemes[u.Scheme]:
		c.add(path, "%q is not a broker URL; use tcp://, ssl://, mqtt:// or mqtts://", s)
	case u.User != nil:
		// The credentials belong in username and password, which are never
		// echoed in logs or status reports the way a broker URL is.
		c.add(path, "%q carries credentials; set username and password instead", u.Redacted())
	case u.Hostname() == "":
		c.add(path, "%q has no host; write it as %s://host:port", s, u.Scheme)
	case u.Port() == "":
		c.add(path, "%q has no port; write it as %s://%s:1883", s, u.Scheme, u.Host)
	case !validPort(u.Port(), 1):
		c.add(path, "%q has port %s; use 1 to 65535", s, u.Port())
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		c.add(path, "%q has a path or query; a broker URL is scheme://host:port", s)
	default:
		return true
	}
	return false
}

// credentials checks a username/password pair: MQTT 3.1.1 (section
// 3.1.2.9) forbids a password without a username.
func (c *checker) credentials(path, user, password string) {
	if password != "" && user == "" {
		c.add(key(path, "username"), "required when a password is set")
	}
}

// webURL checks an http or https URL.
func (c *checker) webURL(path, s string) bool {
	if !c.required(path, s) {
		return false
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme != "http" && u.Scheme != "https":
		c.add(path, "%q is not a web URL; use http:// or https://", s)
	case u.Hostname() == "":
		c.add(path, "%q has no host", s)
	default:
		return true
	}
	return false
}

// listen checks a listening address: host:port, where the host may be
// empty for every interface and port 0 picks a free one.
func (c *checker) listen(path, s string) bool {
	if _, port, err := net.SplitHostPort(s); err != nil || !validPort(port, 0) {
		c.add(path, "%q is not host:port; write it as e.g. 127.0.0.1:8080 or :8080", s)
		return false
	}
	return true
}

func validPort(s string, lo int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n <= 65535
}
