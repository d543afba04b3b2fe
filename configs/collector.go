package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Collector is the config of the collector: the broker it reads from, the
// store it writes to, the plans it checks and the offices it alerts.
type Collector struct {
	MQTT  MQTT  `yaml:"mqtt"`
	Store Store `yaml:"store"`
	HTTP  HTTP  `yaml:"http"`
	// PlanFiles are the plan files, at least one. LoadCollector resolves
	// them against the config file's directory.
	PlanFiles []string `yaml:"plans"`
	// Sites say where devices are: the scopes of plans, rules and routes
	// select devices through them. A device no site lists is covered only
	// by unscoped rules.
	Sites   []Site   `yaml:"sites"`
	Offices []Office `yaml:"offices"` // at least one
	// Routes send each category of alert to an office: a rule without an
	// office goes to the first route whose category and scope match the
	// device. There is no fallback to a route whose scope does not match:
	// every device such a rule can judge must be matched by a route of
	// its category, or the config is refused (end a category's routes
	// with one without a scope to catch the devices the others leave).
	Routes []Route `yaml:"routes"`
	Alerts Alerts  `yaml:"alerts"`
	Notify Notify  `yaml:"notify"`

	// Plans are the loaded plans, in the order of PlanFiles.
	Plans []*Plan `yaml:"-"`
}

// MQTT is how the collector reaches the broker.
type MQTT struct {
	Broker string `yaml:"broker"` // required; tcp://, ssl://, mqtt:// or mqtts:// with host and port
	// ClientID defaults to "xiuhua-collector". The collector also opens a
	// second connection, "<client_id>-pub", for acks and alert messages.
	// Collectors sharing a broker need distinct ids: the broker drops the
	// older of two sessions with the same id.
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"` // optional; required when Password is set
	Password string `yaml:"password"`
}

// Store is the collector's database.
type Store struct {
	// Backend is "bolt" (the default: an embedded file) or "postgres".
	Backend string `yaml:"backend"`
	Path    string `yaml:"path"` // bolt: required; the file, relative to the config file's directory
	DSN     string `yaml:"dsn"`  // postgres: required; e.g. postgres://xiuhua@db:5432/xiuhua
}

// Store backends.
const (
	BackendBolt     = "bolt"
	BackendPostgres = "postgres"
)

// Site is a place with devices: a construction site, a gauging station, a
// residential block's lifts.
type Site struct {
	ID       string   `yaml:"id"`       // required, unique; [a-z0-9-]{1,64}
	Name     string   `yaml:"name"`     // shown to people; default ID
	District string   `yaml:"district"` // required, e.g. xuhui
	Tags     []string `yaml:"tags"`     // e.g. key-area
	Devices  []string `yaml:"devices"`  // the device ids at the site; a device belongs to one site
}

// Route sends a category of alerts, within a scope, to an office.
type Route struct {
	Category string `yaml:"category"` // required: dust, air, water, elevator or sensor
	Scope    Scope  `yaml:"scope"`    // empty: every device
	Office   string `yaml:"office"`   // required
}

// Alerts tunes the alert lifecycle.
type Alerts struct {
	// A rule and stream that opens FlapOpens times within FlapWindow is
	// flapping: further openings re-open the last alert rather than
	// raising new ones; the first is told as a flapping summary, each
	// later re-opening and resolution as it happens. Defaults 3 and 1h.
	FlapOpens  int      `yaml:"flap_opens"`
	FlapWindow Duration `yaml:"flap_window"`
}

// HTTP is the collector's API and dashboard.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port, default 127.0.0.1:8080; ":8080" listens on every interface
}

// Office is an office that receives alerts.
type Office struct {
	ID       string    `yaml:"id"`       // required, unique; [a-z0-9-]{1,64}; what rules, routes and channels name
	Name     string    `yaml:"name"`     // shown to people; default ID
	Contacts []Contact `yaml:"contacts"` // the duty contacts, @-mentioned in robot messages
	// An alert of this office not acknowledged within EscalateAfter is
	// escalated to EscalateTo (which escalates further by its own
	// settings). Both or neither.
	EscalateAfter Duration `yaml:"escalate_after"`
	EscalateTo    string   `yaml:"escalate_to"`
}

// Contact is a person on duty.
type Contact struct {
	Name  string `yaml:"name"`  // required
	Phone string `yaml:"phone"` // mobile number, digits with an optional leading +
}

// Notify lists where alerts are delivered besides the dashboard.
type Notify struct {
	Channels []Channel `yaml:"channels"`
}

// Channel delivers alert messages through the durable outbox.
type Channel struct {
	Name string `yaml:"name"` // required, unique; [A-Za-z0-9_-]{1,32}
	// Type is webhook (JSON POST; the default), wecom or dingtalk (group
	// robots), or mqtt (the collector's broker).
	Type    string   `yaml:"type"`
	URL     string   `yaml:"url"`     // webhook, wecom, dingtalk: http:// or https://
	Secret  string   `yaml:"secret"`  // dingtalk: the robot's signing secret, optional
	Topic   string   `yaml:"topic"`   // mqtt: topic prefix, default xiuhua/v1/alerts (then /<office>)
	Timeout Duration `yaml:"timeout"` // per delivery attempt: default 5s, 100ms to 5m
	Offices []string `yaml:"offices"` // the offices whose alerts it carries; empty means all
}

// Channel types.
const (
	ChannelWebhook  = "webhook"
	ChannelWeCom    = "wecom"
	ChannelDingTalk = "dingtalk"
	ChannelMQTT     = "mqtt"
)

var phonePattern = regexp.MustCompile(`^\+?[0-9]{5,20}$`)

// Defaults of the collector config.
const (
	DefaultCollectorClientID = "xiuhua-collector"
	DefaultListen            = "127.0.0.1:8080"
	DefaultChannelTimeout    = 5 * time.Second
	DefaultFlapOpens         = 3
	DefaultFlapWindow        = time.Hour
)

// LoadCollector reads, decodes, completes and validates the collector
// config at path, and loads the plans it names. Relative paths in it are
// resolved against path's directory. All problems, in the config and in
// its plans, come back together in an *Error; a plan's problems are
// reported against the plan's own file.
func LoadCollector(path string) (*Collector, error) {
	var r report
	col := new(Collector)
	c, _, err := decodeFile(path, col, &r)
	if err != nil {
		return nil, fmt.Errorf("configs: load collector config: %w", err)
	}
	if !c.broken {
		col.setDefaults(c)
		if col.Store.Path != "" {
			col.Store.Path = resolve(path, col.Store.Path)
		}
		col.check(c)
		col.loadPlans(c, path, &r)
		col.checkReach(c)
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return col, nil
}

// Validate checks col and its Plans, with no defaults applied, and returns
// an *Error listing their problems by path. A plan's problems name the
// matching entry of PlanFiles as their file.
func (col *Collector) Validate() error {
	var r report
	c := r.file("", nil)
	col.check(c)
	for i, p := range col.Plans {
		if p == nil {
			continue
		}
		name := ""
		if i < len(col.PlanFiles) {
			name = col.PlanFiles[i]
		}
		pc := r.file(name, nil)
		p.check(pc)
		col.checkPlan(c, i, p, pc)
	}
	col.checkReach(c)
	return r.err()
}

func (col *Collector) setDefaults(c *checker) {
	if col.MQTT.ClientID == "" {
		col.MQTT.ClientID = DefaultCollectorClientID
	}
	if col.HTTP.Listen == "" {
		col.HTTP.Listen = DefaultListen
	}
	if col.Store.Backend == "" {
		col.Store.Backend = BackendBolt
	}
	for i := range col.Offices {
		if o := &col.Offices[i]; o.Name == "" {
			o.Name = o.ID
		}
	}
	for i := range col.Sites {
		if s := &col.Sites[i]; s.Name == "" {
			s.Name = s.ID
		}
	}
	// Only absent keys take defaults: "flap_opens: 0" is an error, not 3.
	if !c.has("alerts.flap_opens") {
		col.Alerts.FlapOpens = DefaultFlapOpens
	}
	if !c.has("alerts.flap_window") {
		col.Alerts.FlapWindow = Duration(DefaultFlapWindow)
	}
	for i := range col.Notify.Channels {
		ch := &col.Notify.Channels[i]
		if ch.Type == "" {
			ch.Type = ChannelWebhook
		}
		if !c.has(key(index("notify.channels", i), "timeout")) {
			ch.Timeout = Duration(DefaultChannelTimeout)
		}
	}
}

func (col *Collector) check(c *checker) {
	c.broker("mqtt.broker", col.MQTT.Broker)
	c.credentials("mqtt", col.MQTT.Username, col.MQTT.Password)
	col.checkStore(c)
	c.listen("http.listen", col.HTTP.Listen)
	if len(col.PlanFiles) == 0 {
		c.add("plans", "at least one plan file is required")
	}
	for i, f := range col.PlanFiles {
		c.required(index("plans", i), f)
	}
	offices := col.checkOffices(c)
	col.checkSites(c)
	for i, rt := range col.Routes {
		p := index("routes", i)
		if !slices.Contains(Categories(), rt.Category) {
			c.add(key(p, "category"), "%q is not a category; use one of dust, air, water, elevator, sensor", rt.Category)
		}
		c.scope(key(p, "scope"), rt.Scope)
		col.scopeNames(c, c, key(p, "scope"), rt.Scope)
		if c.required(key(p, "office"), rt.Office) {
			c.knownOffice(key(p, "office"), rt.Office, offices)
		}
	}
	c.intIn("alerts.flap_opens", col.Alerts.FlapOpens, 2, 100)
	c.durationIn("alerts.flap_window", col.Alerts.FlapWindow, time.Minute, 7*24*time.Hour)
	col.checkChannels(c, offices)
}

func (col *Collector) checkStore(c *checker) {
	switch col.Store.Backend {
	case BackendBolt:
		c.required("store.path", col.Store.Path)
		if col.Store.DSN != "" {
			c.add("store.dsn", "not used by the bolt backend")
		}
	case BackendPostgres:
		if c.required("store.dsn", col.Store.DSN) && !strings.HasPrefix(col.Store.DSN, "postgres://") && !strings.HasPrefix(col.Store.DSN, "postgresql://") {
			// A DSN may hold a password: show it only as a URL, redacted,
			// and not at all in the key=value form.
			shown := "the dsn"
			if u, err := url.Parse(col.Store.DSN); err == nil && u.Scheme != "" {
				shown = strconv.Quote(u.Redacted())
			}
			c.add("store.dsn", "%s is not a PostgreSQL URL; use postgres://user@host:5432/db", shown)
		}
		if col.Store.Path != "" {
			c.add("store.path", "not used by the postgres backend")
		}
	default:
		c.add("store.backend", "%q is not a store backend; use bolt or postgres", col.Store.Backend)
	}
}

func (col *Collector) checkOffices(c *checker) map[string]int {
	if len(col.Offices) == 0 {
		c.add("offices", "at least one office is required")
	}
	offices := map[string]int{}
	for i, o := range col.Offices {
		p := key(index("offices", i), "id")
		if !c.id(p, o.ID) {
			continue
		}
		if j, dup := offices[o.ID]; dup {
			c.add(p, "%q is already the id of offices[%d]", o.ID, j)
			continue
		}
		offices[o.ID] = i
	}
	for i, o := range col.Offices {
		p := index("offices", i)
		for j, ct := range o.Contacts {
			cp := index(key(p, "contacts"), j)
			c.required(key(cp, "name"), ct.Name)
			if ct.Phone != "" && !phonePattern.MatchString(ct.Phone) {
				c.add(key(cp, "phone"), "%q is not a phone number; use digits with an optional leading +", ct.Phone)
			}
		}
		switch {
		case (o.EscalateAfter == 0) != (o.EscalateTo == ""):
			c.add(key(p, "escalate_to"), "escalate_after and escalate_to go together")
		case o.EscalateTo == "":
		case o.EscalateTo == o.ID:
			c.add(key(p, "escalate_to"), "an office cannot escalate to itself")
		default:
			c.knownOffice(key(p, "escalate_to"), o.EscalateTo, offices)
			c.durationIn(key(p, "escalate_after"), o.EscalateAfter, time.Minute, 7*24*time.Hour)
		}
	}
	return offices
}

func (c *checker) knownOffice(path, id string, offices map[string]int) {
	if _, ok := offices[id]; !ok && !c.spoiledIn("offices", "id") {
		c.add(path, "%q is not one of the offices declared under offices", id)
	}
}

func (col *Collector) checkSites(c *checker) {
	ids, devices := map[string]int{}, map[string]int{}
	for i, s := range col.Sites {
		p := index("sites", i)
		if c.id(key(p, "id"), s.ID) {
			if j, dup := ids[s.ID]; dup {
				c.add(key(p, "id"), "%q is already the id of sites[%d]", s.ID, j)
			} else {
				ids[s.ID] = i
			}
		}
		c.required(key(p, "district"), s.District)
		for j, d := range s.Devices {
			dp := index(key(p, "devices"), j)
			if !c.required(dp, d) {
				continue
			}
			if k, dup := devices[d]; dup {
				c.add(dp, "device %q is already at sites[%d]; a device belongs to one site", d, k)
			} else {
				devices[d] = i
			}
		}
	}
}

func (col *Collector) checkChannels(c *checker, offices map[string]int) {
	names := map[string]int{}
	for i, ch := range col.Notify.Channels {
		p := index("notify.channels", i)
		if c.name(key(p, "name"), ch.Name) {
			if j, dup := names[ch.Name]; dup {
				c.add(key(p, "name"), "%q is already the name of notify.channels[%d]", ch.Name, j)
			} else {
				names[ch.Name] = i
			}
		}
		switch ch.Type {
		case ChannelWebhook, ChannelWeCom, ChannelDingTalk:
			if c.required(key(p, "url"), ch.URL) {
				c.webURL(key(p, "url"), ch.URL)
			}
			if ch.Topic != "" {
				c.add(key(p, "topic"), "not used by %s channels", ch.Type)
			}
		case ChannelMQTT:
			if ch.URL != "" {
				c.add(key(p, "url"), "not used by mqtt channels: they publish on the collector's broker")
			}
			// As cloud/notify takes it: the office's id is appended after a
			// '/', so the prefix must neither start nor end with one.
			if strings.ContainsAny(ch.Topic, "+#\x00") || strings.HasPrefix(ch.Topic, "$") ||
				strings.HasPrefix(ch.Topic, "/") || strings.HasSuffix(ch.Topic, "/") {
				c.add(key(p, "topic"), "%q is not a topic prefix to publish on: no wildcards or NUL, no leading $ or /, no trailing /", ch.Topic)
			}
		default:
			c.add(key(p, "type"), "%q is not a channel type; use webhook, wecom, dingtalk or mqtt", ch.Type)
		}
		if ch.Secret != "" && ch.Type != ChannelDingTalk {
			c.add(key(p, "secret"), "only dingtalk channels sign their requests")
		}
		c.durationIn(key(p, "timeout"), ch.Timeout, 100*time.Millisecond, 5*time.Minute)
		for j, o := range ch.Offices {
			c.knownOffice(index(key(p, "offices"), j), o, offices)
		}
	}
}

// loadPlans loads each plan file into col.Plans and checks it against the
// rest of the config.
func (col *Collector) loadPlans(c *checker, path string, r *report) {
	col.Plans = make([]*Plan, len(col.PlanFiles))
	seen := map[string]int{}
	for i, f := range col.PlanFiles {
		if f == "" {
			continue
		}
		f = resolve(path, f)
		col.PlanFiles[i] = f
		if j, dup := seen[f]; dup {
			c.add(index("plans", i), "plan file %s is already listed as plans[%d]", f, j)
			continue
		}
		seen[f] = i
		p, pc, err := loadPlan(f, r)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.add(index("plans", i), "plan file %s does not exist", f)
		case err != nil:
			c.add(index("plans", i), "cannot read plan file: %v", err)
		case !pc.broken:
			col.Plans[i] = p
			col.checkPlan(c, i, p, pc)
		}
	}
}

// checkPlan checks what plan i cannot check alone: that its scopes name
// declared sites and districts, that its rules name declared offices,
// that every device a rule without an office can judge has a route, and
// that its id is not another plan's. c is the collector config's
// checker, pc the plan's.
func (col *Collector) checkPlan(c *checker, i int, p *Plan, pc *checker) {
	where := "the collector config"
	if c.file != "" {
		where = c.file
	}
	col.scopeNames(c, pc, "scope", p.Scope)
	for j, tg := range p.Targets {
		col.scopeNames(c, pc, key(index("targets", j), "scope"), tg.Scope)
	}
	for j, r := range p.Rules {
		rp := index("rules", j)
		col.scopeNames(c, pc, key(rp, "scope"), r.Scope)
		// A list that failed to decode cannot say what it lacks; nor can a
		// rule whose category is already reported.
		if c.spoiledIn("offices", "id") || !slices.Contains(Categories(), r.Category) {
			continue
		}
		if r.Office != "" {
			switch {
			case !col.hasOffice(r.Office):
				pc.add(key(rp, "office"), "%q is not an office declared in %s", r.Office, where)
			case len(col.Notify.Channels) > 0 && !col.notified(r.Office) && !c.spoiledIn("notify.channels", "offices"):
				// With no channels at all, alerts go to the log and the
				// API by choice; with some, an office none of them serves
				// is a config slip that would leave its alerts unheard.
				pc.add(key(rp, "office"), "no channel under notify.channels in %s carries alerts for office %q", where, r.Office)
			}
			continue
		}
		if c.spoiledIn("routes", "category") || c.spoiledIn("routes", "scope") || c.spoiledIn("sites", "devices") {
			continue
		}
		if _, ok := col.route(r.Category); !ok {
			pc.add(key(rp, "category"), "no route under routes in %s takes %s alerts, and the rule names no office", where, r.Category)
			continue
		}
		var unrouted []Where
		for _, w := range col.places(p) {
			if p.Scope.Covers(w) && r.Scope.Covers(w) {
				if _, ok := col.Route(r.Category, w); !ok {
					unrouted = append(unrouted, w)
				}
			}
		}
		if len(unrouted) > 0 {
			more := ""
			if n := len(unrouted) - 1; n > 0 {
				more = fmt.Sprintf(" (and %d more)", n)
			}
			pc.add(key(rp, "category"), "no route under routes in %s takes %s alerts of %s%s, and the rule names no office; "+
				"add a route whose scope matches, or one without a scope", where, r.Category, placeName(unrouted[0]), more)
		}
	}
	for j := range i {
		if q := col.Plans[j]; q != nil && p.ID != "" && q.ID == p.ID {
			c.add(index("plans", i), "plan id %q is already the id of plans[%d]", p.ID, j)
			break
		}
	}
}

// places lists where a device a rule of plan p judges can be, for the
// checks that must hold for every such device: each device listed under
// sites, each device p's scopes name that no site lists, and any other
// device (Where with no device: only an unscoped route matches it).
func (col *Collector) places(p *Plan) []Where {
	var out []Where
	listed := map[string]bool{}
	for _, s := range col.Sites {
		for _, d := range s.Devices {
			listed[d] = true
			out = append(out, Where{Device: d, Site: s.ID, District: s.District, Tags: s.Tags})
		}
	}
	named := slices.Clone(p.Scope.Devices)
	for _, r := range p.Rules {
		named = append(named, r.Scope.Devices...)
	}
	for _, d := range named {
		if d != "" && !listed[d] {
			listed[d] = true
			out = append(out, Where{Device: d})
		}
	}
	return append(out, Where{})
}

// placeName names a place in a problem.
func placeName(w Where) string {
	switch {
	case w.Device == "":
		return "devices not listed under sites"
	case w.Site == "":
		return fmt.Sprintf("device %q (listed under no site)", w.Device)
	}
	return fmt.Sprintf("device %q at site %q (district %s)", w.Device, w.Site, w.District)
}

// scopeNames reports, through pc, the sites and districts scope s names
// that the collector config c does not declare: a scope that names a
// site by a typo would quietly select no device.
func (col *Collector) scopeNames(c, pc *checker, path string, s Scope) {
	in := ""
	if pc != c {
		in = " in the collector config"
		if c.file != "" {
			in = " in " + c.file
		}
	}
	if !c.spoiledIn("sites", "id") {
		for i, id := range s.Sites {
			if id != "" && !slices.ContainsFunc(col.Sites, func(st Site) bool { return st.ID == id }) {
				pc.add(index(key(path, "sites"), i), "%q is not a site declared under sites%s", id, in)
			}
		}
	}
	if !c.spoiledIn("sites", "district") {
		for i, d := range s.Districts {
			if d != "" && !slices.ContainsFunc(col.Sites, func(st Site) bool { return st.District == d }) {
				pc.add(index(key(path, "districts"), i), "%q is not the district of any site declared under sites%s", d, in)
			}
		}
	}
}

// checkReach checks that some channel carries the alerts of every office
// alerts can reach: the offices routes name, those rules name, and those
// either escalates to, along the chain. With no channels at all alerts go
// to the log and the API by choice, so nothing is checked.
func (col *Collector) checkReach(c *checker) {
	if len(col.Notify.Channels) == 0 || c.spoiledIn("notify.channels", "offices") || c.spoiledIn("offices", "id") ||
		c.spoiledIn("offices", "escalate_to") {
		return
	}
	reached := map[string]bool{}
	var queue []string
	reach := func(office string) {
		if col.hasOffice(office) && !reached[office] {
			reached[office] = true
			queue = append(queue, office)
		}
	}
	for i, rt := range col.Routes {
		if col.hasOffice(rt.Office) && !col.notified(rt.Office) && !c.spoiledIn("routes", "office") {
			c.add(key(index("routes", i), "office"), "no channel under notify.channels carries alerts for office %q", rt.Office)
		}
		reach(rt.Office)
	}
	for _, p := range col.Plans {
		if p == nil {
			continue
		}
		for _, r := range p.Rules {
			reach(r.Office) // checkPlan reports a rule's own office
		}
	}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		i := slices.IndexFunc(col.Offices, func(o Office) bool { return o.ID == from })
		to := col.Offices[i].EscalateTo
		if to == "" || to == from || !col.hasOffice(to) {
			continue
		}
		if !reached[to] && !col.notified(to) {
			c.add(key(index("offices", i), "escalate_to"), "alerts of %q escalate to office %q, but no channel under notify.channels carries alerts for it", from, to)
		}
		reach(to)
	}
}

// route returns the first route of category, whatever its scope.
func (col *Collector) route(category string) (Route, bool) {
	for _, rt := range col.Routes {
		if rt.Category == category {
			return rt, true
		}
	}
	return Route{}, false
}

// notified reports whether some channel carries office's alerts.
func (col *Collector) notified(office string) bool {
	for _, w := range col.Notify.Channels {
		if len(w.Offices) == 0 || slices.Contains(w.Offices, office) {
			return true
		}
	}
	return false
}

func (col *Collector) hasOffice(id string) bool {
	for _, o := range col.Offices {
		if o.ID == id {
			return true
		}
	}
	return false
}
