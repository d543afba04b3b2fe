package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
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
	Offices   []Office `yaml:"offices"` // at least one
	Notify    Notify   `yaml:"notify"`

	// Plans are the loaded plans, in the order of PlanFiles.
	Plans []*Plan `yaml:"-"`
}

// MQTT is how the collector reaches the broker.
type MQTT struct {
	Broker string `yaml:"broker"` // required; tcp://, ssl://, mqtt:// or mqtts:// with host and port
	// ClientID defaults to "xiuhua-collector". Collectors sharing a broker
	// need distinct ids: the broker drops the older of two sessions with
	// the same id.
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"` // optional; required when Password is set
	Password string `yaml:"password"`
}

// Store is the collector's database.
type Store struct {
	Path string `yaml:"path"` // required; the bbolt file, relative to the config file's directory
}

// HTTP is the collector's API and dashboard.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port, default 127.0.0.1:8080; ":8080" listens on every interface
}

// Office is an office that receives alerts.
type Office struct {
	ID   string `yaml:"id"`   // required, unique; [a-z0-9-]{1,64}; what rules and webhooks name
	Name string `yaml:"name"` // shown to people; default ID
}

// Notify lists where alerts are delivered besides the dashboard.
type Notify struct {
	Webhooks []Webhook `yaml:"webhooks"`
}

// Webhook receives alerts as HTTP POSTs.
type Webhook struct {
	Name    string   `yaml:"name"`    // required, unique; [A-Za-z0-9_-]{1,32}
	URL     string   `yaml:"url"`     // required; http:// or https://
	Timeout Duration `yaml:"timeout"` // per delivery attempt: default 5s, 100ms to 5m
	Offices []string `yaml:"offices"` // the offices whose alerts it receives; empty means all
}

// Defaults of the collector config.
const (
	DefaultCollectorClientID = "xiuhua-collector"
	DefaultListen            = "127.0.0.1:8080"
	DefaultWebhookTimeout    = 5 * time.Second
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
		col.Store.Path = resolve(path, col.Store.Path)
		col.check(c)
		col.loadPlans(c, path, &r)
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
		name := ""
		if i < len(col.PlanFiles) {
			name = col.PlanFiles[i]
		}
		pc := r.file(name, nil)
		p.check(pc)
		col.checkPlan(c, i, p, pc)
	}
	return r.err()
}

func (col *Collector) setDefaults(c *checker) {
	if col.MQTT.ClientID == "" {
		col.MQTT.ClientID = DefaultCollectorClientID
	}
	if col.HTTP.Listen == "" {
		col.HTTP.Listen = DefaultListen
	}
	for i := range col.Offices {
		if o := &col.Offices[i]; o.Name == "" {
			o.Name = o.ID
		}
	}
	for i := range col.Notify.Webhooks {
		if !c.has(key(index("notify.webhooks", i), "timeout")) {
			col.Notify.Webhooks[i].Timeout = Duration(DefaultWebhookTimeout)
		}
	}
}

func (col *Collector) check(c *checker) {
	c.broker("mqtt.broker", col.MQTT.Broker)
	c.credentials("mqtt", col.MQTT.Username, col.MQTT.Password)
	c.required("store.path", col.Store.Path)
	c.listen("http.listen", col.HTTP.Listen)
	if len(col.PlanFiles) == 0 {
		c.add("plans", "at least one plan file is required")
	}
	for i, f := range col.PlanFiles {
		c.required(index("plans", i), f)
	}

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

	names := map[string]int{}
	for i, w := range col.Notify.Webhooks {
		p := index("notify.webhooks", i)
		if c.name(key(p, "name"), w.Name) {
			if j, dup := names[w.Name]; dup {
				c.add(key(p, "name"), "%q is already the name of notify.webhooks[%d]", w.Name, j)
			} else {
				names[w.Name] = i
			}
		}
		c.webURL(key(p, "url"), w.URL)
		c.durationIn(key(p, "timeout"), w.Timeout, 100*time.Millisecond, 5*time.Minute)
		for j, o := range w.Offices {
			if _, ok := offices[o]; !ok && !c.spoiled("offices") {
				c.add(index(key(p, "offices"), j), "%q is not one of the offices declared under offices", o)
			}
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

// checkPlan checks what plan i cannot check alone: that its rules name
// declared offices and that its id is not another plan's. c is the
// collector config's checker, pc the plan's.
func (col *Collector) checkPlan(c *checker, i int, p *Plan, pc *checker) {
	where := "the collector config"
	if c.file != "" {
		where = c.file
	}
	for j, r := range p.Rules {
		switch {
		case r.Office == "" || c.spoiled("offices"):
		case !col.hasOffice(r.Office):
			pc.add(key(index("rules", j), "office"), "%q is not an office declared in %s", r.Office, where)
		case len(col.Notify.Webhooks) > 0 && !col.notified(r.Office):
			// With no webhooks at all, alerts go to the log by choice;
			// with some, an office none of them serves is a config slip
			// that would leave its alerts unheard.
			pc.add(key(index("rules", j), "office"), "no webhook under notify.webhooks in %s receives alerts for office %q", where, r.Office)
		}
	}
	for j := range i {
		if q := col.Plans[j]; q != nil && p.ID != "" && q.ID == p.ID {
			c.add(index("plans", i), "plan id %q is already the id of plans[%d]", p.ID, j)
			break
		}
	}
}

// notified reports whether some webhook receives office's alerts.
func (col *Collector) notified(office string) bool {
	for _, w := range col.Notify.Webhooks {
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
